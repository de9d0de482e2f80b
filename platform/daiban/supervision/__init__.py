"""Supervision (督查考评): ratings and rectification, time-limit alerts, ledgers, quarterly
reports and the center standard, all computed from the daily work."""
