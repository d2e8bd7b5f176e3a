"""Defaults of the per-year rules (DESIGN §2), in one place. A FiscalYear copies them when it is
created; the performance office edits them per year afterwards — rules are data, not constants."""

from decimal import Decimal

FISCAL_YEAR_RULES = {
    # §2.2 pre-assessment: new projects at or above this amount (yuan) need one.
    "preassessment_threshold": Decimal("5000000.00"),
    "preassessment_review_days": 7,  # working days for a review step
    # §2.3 targets
    "target_review_days": 7,
    "weight_output": 50,
    "weight_effect": 30,
    "weight_satisfaction": 10,
    "target_too_low_pct": 20,  # last year's actual beat the target by ≥ 20 % ⇒ flag
    # §2.4 monitoring
    "q3_report_due_days": 15,
    "monitoring_review_days": 7,
    "warn_red_below": 60,
    "warn_yellow_below": 80,
    "warn_blue_at_pct": 120,
    # §2.5 evaluation
    "grade_excellent_min": 90,
    "grade_good_min": 80,
    "grade_fair_min": 60,
    "veto_not_excellent_below_pct": 85,
    "veto_not_good_below_pct": 75,
    "spot_check_gap_points": 10,
    # §2.6 result application
    "rectification_days_monitoring": 7,
    "rectification_days_feedback": 30,
    "linkage_fair_cut_pct": 10,
    "linkage_poor_cut_pct": 30,
}

# Pre-assessment: each dimension is scored out of this many points (5 × 20 = 100).
DIMENSION_MAX_SCORE = Decimal("20")
