"""Courses: the deployment's catalogue (shared by all its groups) and ratings of it (per group).

- `catalog.py`: read and validate a CSV/JSON catalogue file, all or nothing (`read_catalog`, `CatalogError`);
  `data/sample_catalog.json` is the bundled sample (`SAMPLE_CATALOG`).
- `search.py`: search by title, tags and description (`search_courses`); courses named in a message
  (`mentioned_courses`).
- `views.py`: what the commands show, as frozen dataclasses (`CourseLine`, `CourseDetails`, `CoursePage`,
  `RatingOutcome`).
- `service.py`: the use cases on a session (`find_course`, `course_page`, `course_details`, `rate_course`).

Queries live in `storage/crud/courses.py`; the chat commands and their rendering in `bot/commands/courses.py`.
"""
