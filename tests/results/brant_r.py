"""Published R output for helpers.analysis.brant (tests/test_brant.py).

The example of ?brant::brant (brant 0.3-0), output printed on rdrr.io/cran/brant/man/brant.html:

    data = MASS::survey
    data$Smoke = ordered(MASS::survey$Smoke, levels = c("Never","Occas","Regul","Heavy"))
    model1 = MASS::polr(Smoke ~ Sex + Height, data = data, Hess = TRUE)
    brant(model1)

printed to 2 decimals (so compared to 5e-3); polr drops the 29 rows with a missing answer.
"""

SURVEY_BRANT = {  # Test for: (X2, df, probability)
    "Omnibus": (3.28, 4, 0.51),
    "Sex[Male]": (1.58, 2, 0.45),
    "Height": (0.02, 2, 0.99),
}
SURVEY_N = 208
