"""Training and grading (培训与等级评估): courses, enrolments, attendance and completions toward the district's
training target; grade assessments, their 1A-5A grades and each grade's five-year validity."""
