"""Rendering of what community services return (plain data) into chat replies: one module per feature."""
