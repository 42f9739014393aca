"""`heedful study`: reading developer-study logs (`.heedful/study.jsonl`, docs/studies.md) into
typed records, summarising them per participant, session and condition, exporting them under the
participant's consent, re-judging full-text logs and turning a session into a replay conversation."""
