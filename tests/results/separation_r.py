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
