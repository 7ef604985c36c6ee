"""The operator's view across schools: aggregate figures, report, health, dashboard, metrics.

Figures are aggregates only (students by class and status), kept in the
registry database `default` (School.router); nothing of another school's
students is ever written there. See README "Platform figures".
"""
