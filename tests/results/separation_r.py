"""Outside reference for helpers.stats.logit's separation decision (tests/test_separation_decision.py).

R 4.2 (Debian 12), lpSolve 5.6.18 (`apt-get install r-cran-lpsolve`; brglm2 0.9 no longer has
`detect_separation`, now in the detectseparation package, which Debian does not ship), so the
linear program of detectseparation::detect_separation (Konis 2007, (4.23)) is solved by
lp_solve, a solver independent of the HiGHS that firthmodels uses:

    konis <- function(X, y) {          # separated iff the optimum is positive
      Xb <- (2 * y - 1) * X; p <- ncol(X)
      A <- rbind(cbind(Xb, -Xb), cbind(diag(p), matrix(0, p, p)), cbind(matrix(0, p, p), diag(p)))
      r <- lp("max", c(colSums(Xb), -colSums(Xb)), A,
              c(rep(">=", nrow(X)), rep("<=", 2 * p)), c(rep(0, nrow(X)), rep(1, 2 * p)))
      list(optimum = r$objval, beta = r$solution[1:p] - r$solution[-(1:p)])
    }
    X <- cbind("(Intercept)" = 1, as.matrix(d[, -1])); konis(X, d$y)
    g <- glm(y ~ ., data = d, family = binomial); max(abs(coef(g))); max(sqrt(diag(vcov(g))))

`d`: the respondents of the replicate (weight 1 in tests/fixtures/separation_knife_edge.npz),
outcome then the columns of X that are not all zero among them (the intercept added above).
The endometrial data: brglm2::endometrial, the design HG ~ NV + PI + EH and HG ~ PI + EH.
Printed output (lp status 0 = optimal in every case):
"""

# The knife-edge replicate (selection_both x or_patient_record_access, replicate 114 of
# chapter 8): 232 respondents, 20 columns (level x6 absent): not separated.
KNIFE_EDGE = {"n": 232, "p": 20, "optimum": 0.0, "infinite": []}
KNIFE_EDGE_GLM = {"max_abs_coef": 1.139, "max_se": 0.8058}  # glm converges: a finite MLE
# A replicate of the same cell (replicate 0): 223 respondents, 21 columns: quasi-separated by
# the level x6 (5 respondents, all one outcome), glm's estimate diverging.
# (glm stops at max |coef| 16.23, SE 1040.)
SEPARATED = {"n": 223, "p": 21, "optimum": 5.0, "infinite": ["x6"]}
# endometrial: NV quasi-separates HG (the 13 patients with NV = 1 all have HG = 1); without NV
# the data overlap.
ENDOMETRIAL_NV = {"optimum": 13.0, "infinite": ["NV"]}
ENDOMETRIAL_NO_NV = {"optimum": 0.0, "infinite": []}

# ---------------------------------------------------------------------------------------------
# tests/fixtures/separation_overshoot.npz (made by tests/fixtures/make_separation_overshoot.py):
# three replicates of chapter 8's cells for or_patient_record_access on the small-cells export
# of tests/test_disclosure.py (synthetic by construction). Same R, lpSolve and `konis` as above;
# `d` as above (outcome, then the columns of X not all zero among the rows of weight 1, named
# x<column of X>), `start` the cell's beta* (the fixture's `start`, the start of every
# replicate's fit). detectseparation::check_infinite_estimates (not in Debian 12, removed from
# brglm2 0.8) by hand: the SEs of glm stopped after 1..20 iterations over those after 1.
#
#     infinite_estimates <- function(d) {
#       se <- sapply(1:20, function(m) suppressWarnings(sqrt(diag(vcov(
#         glm(y ~ ., data = d, family = binomial, control = glm.control(maxit = m)))))))
#       t(se / se[, 1])
#     }
#     X <- cbind("(Intercept)" = 1, as.matrix(d[, -1])); konis(X, d$y); ie <- infinite_estimates(d)
#     max(ie[20, ], na.rm = TRUE); colnames(ie)[which(ie[20, ] > 100)]
#     g <- glm(y ~ ., data = d, family = binomial)
#     g$converged; names(coef(g))[is.na(coef(g))]; max(abs(coef(g)), na.rm = TRUE); deviance(g)
#     coef(g)[["x1"]]; sqrt(vcov(g)["x1", "x1"])
#     gs <- glm(y ~ ., data = d, family = binomial, start = start)  # y_overlap only
#     gs$converged; max(abs(coef(gs))); deviance(gs)
#
# Printed output (lp status 0 = optimal in every case):
# y_overlap : n 406 p 19 | lp status 0 optimum 0 direction
#   max SE ratio at maxit 20 1.076 growing:
#   glm: converged TRUE aliased  max|coef| 2.26733 max se 1.83101 deviance 528.0728
#        x1 -0.04445071 se x1 0.2102198
#   glm(start = beta*): converged FALSE max|coef| 9.0072e+14 deviance 594.2515
# y_separated : n 406 p 19 | lp status 0 optimum 5 direction x7 x8 x12
#   max SE ratio at maxit 20 552 growing: x7 x8 x12
#   glm: converged TRUE aliased  max|coef| 16.5724 max se 641.039 deviance 528.019
# y_aliased : n 222 p 19 | lp status 0 optimum 12 direction x5 x12
#   max SE ratio at maxit 20 1146 growing: x5 x7 x8
#   glm: converged TRUE aliased x12 max|coef| 18.0899 max se NA deviance 260.293
# y_aliased_overlap : n 248 p 19 | lp status 0 optimum 0 direction
#   max SE ratio at maxit 20 1.05 growing:
#   glm: converged TRUE aliased x12 max|coef| 3.17781 max se NA deviance 304.2209
#        x1 0.1376247 se x1 0.281398

# The data overlap (no separating direction, every SE ratio settles): glm's finite fit from its
# own start. From the separated start beta* glm.fit overshoots too and stops unconverged near
# 1e15: it halves a step only when the deviance is not finite, not when it rises.
OVERSHOOT_OVERLAP = {"n": 406, "p": 19, "optimum": 0.0, "infinite": [], "max_se_ratio": 1.076}
OVERSHOOT_OVERLAP_GLM = {
    "max_abs_coef": 2.26733,
    "max_se": 1.83101,
    "deviance": 528.0728,
    "x1": -0.04445071,
    "se_x1": 0.2102198,
}
OVERSHOOT_OVERLAP_GLM_FROM_START = {"converged": False, "max_abs_coef": 9.0072e14}
# Quasi-separated by a combination of columns, none on its own.
OVERSHOOT_SEPARATED = {"n": 406, "p": 19, "optimum": 5.0, "infinite": ["x7", "x8", "x12"]}
# Among the respondents x12 = x7 + x8 (glm: x12 aliased), and the data quasi-separated.
OVERSHOOT_ALIASED = {"n": 222, "p": 19, "optimum": 12.0, "aliased": ["x12"], "growing": ["x5", "x7", "x8"]}
# Aliased the same way (x12 = x7 + x8 among these respondents), the data overlapping.
OVERSHOOT_ALIASED_OVERLAP = {"n": 248, "p": 19, "optimum": 0.0, "aliased": ["x12"], "max_se_ratio": 1.05}

# ---------------------------------------------------------------------------------------------
# The aliased replicates fitted on the design without the aliased column, as glm reports them
# (x12 NA) and as the Firth refit of a flagged replicate must use it. R 4.2, brglm2 0.9 (Debian
# r-cran-brglm2); `d` as above (outcome, then the columns of X not all zero among the rows of
# weight 1, named x<column of X>), read from a CSV of those rows:
#
#     library(brglm2); options(digits = 10)
#     g <- glm(y ~ ., data = d, family = binomial)
#     names(coef(g))[is.na(coef(g))]; coef(g)[["x1"]]; sqrt(vcov(g)["x1", "x1"])
#     d2 <- d[, names(d) != "x12"]
#     f <- glm(y ~ ., data = d2, family = binomial, method = "brglmFit", type = "MPL_Jeffreys")
#     f$converged; coef(f)[["x1"]]; summary(f)$coefficients["x1", "Std. Error"]; max(abs(coef(f)))
#
# Printed output:
# y_aliased glm aliased: x12  x1 -0.05361761204 se 0.3088870482
# y_aliased brglm2 MPL_Jeffreys without x12: converged TRUE  x1 -0.05072987772 se 0.3043029667  max|coef| 3.69805782
# y_aliased_overlap glm aliased: x12  x1 0.1376246592 se 0.2813979867
# y_aliased_overlap brglm2 MPL_Jeffreys without x12: converged TRUE  x1 0.127481192 se 0.2782154312  max|coef| 2.765545697
#
# (glm's SE is from the IRLS weights of its last iteration but one, off from the inverse
# information at its estimate in the 8th digit.)
OVERSHOOT_ALIASED_GLM = {"aliased": ["x12"], "x1": -0.05361761204, "se_x1": 0.3088870482}
OVERSHOOT_ALIASED_FIRTH = {"converged": True, "x1": -0.05072987772, "se_x1": 0.3043029667, "max_abs_coef": 3.69805782}
OVERSHOOT_ALIASED_OVERLAP_GLM = {"aliased": ["x12"], "x1": 0.1376246592, "se_x1": 0.2813979867}
