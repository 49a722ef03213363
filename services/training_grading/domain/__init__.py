"""Training and grading's district rules, pure: `training` (courses, enrolments, attendance, completions),
`grading` (assessments, grades and their validity), `progress` (people trained toward the district's target)."""
