"""Whole-turnover policy rules (WT-*, seed 003 Segurexpo general conditions): pure
functions over the policy's terms, a buyer's credit limit and its credits."""
