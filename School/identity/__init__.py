"""Who a student is beyond a school's registration number: sex (and, as they come, guardians and the learner number)."""
