"""Reference values from R for the report's own models, on the bundled synthetic file.

R 4.2.2 (Debian 12: r-base-core 4.2.2, r-cran-mass 7.3-58.2), run from the repository root
(``Rscript script.R``, the script below). ``glm`` with ``epsilon = 1e-14`` (its default 1e-8
leaves the standard errors off in the 6th digit); ``MASS::polr`` with ``reltol = 1e-14``.
Factor levels are the codebook's, reference level first; the derived outcomes are the
codebook's rule (``Often`` or ``Very often``). Values: the exposure's coefficient (log odds),
its standard error and Wald p-value, printed with ``formatC(x, digits = 10, format = "g")``.

The synthetic file these were computed on has the sha256 in ``data/synthetic/manifest.yaml``
(``SYNTHETIC_SHA256`` below); a regenerated file needs a new R run.
"""

R_SCRIPT = r"""
# Models 1-3 of the report's published associations, fitted by R on the bundled synthetic file.
lv <- list(
  age_group = c("18-34", "35-44", "45-54", "55+"),
  gender = c("Female", "Male", "Another gender"),
  ethnicity = c("White", "Asian or Asian British", "Black or Black British", "Mixed or other"),
  education = c("Below degree", "Degree", "Postgraduate"),
  training = c("No", "Yes"),
  seniority = c("Link worker", "Senior or lead link worker", "Manager or coordinator"),
  years_in_role = c("Under 1 year", "1-2 years", "3-4 years", "5 years or more"),
  employer_type = c("PCN or GP practice", "VCSE organisation", "Local authority", "Other"),
  aware_info_standard = c("No", "Yes"), shares_outcomes = c("No", "Yes"),
  outcomes_inform_investment = c("No", "Yes"), patient_record_access = c("No", "Yes"),
  uses_outcome_measures = c("No", "Yes"))
freq <- c("Never", "Rarely", "Sometimes", "Often", "Very often")
d <- read.csv("data/synthetic/survey_2025_synthetic.csv", stringsAsFactors = FALSE)
for (v in names(lv)) d[[v]] <- factor(d[[v]], levels = lv[[v]])
d$patient_outcome_freq <- factor(d$patient_outcome_freq, levels = freq, ordered = TRUE)
d$service_outcome_freq <- factor(d$service_outcome_freq, levels = freq, ordered = TRUE)
d$patient_outcomes_often <- factor(d$patient_outcome_freq %in% c("Often", "Very often"), c(FALSE, TRUE), c("No", "Yes"))
d$service_outcomes_often <- factor(d$service_outcome_freq %in% c("Often", "Very often"), c(FALSE, TRUE), c("No", "Yes"))
demo <- c("age_group", "gender", "ethnicity")
job <- c("education", "training", "seniority", "years_in_role", "employer_type")
assoc <- list(
  c("or_aware_information_standard", "patient_outcomes_often", "aware_info_standard", "patient_outcome_freq"),
  c("or_shares_outcomes", "service_outcomes_often", "shares_outcomes", "service_outcome_freq"),
  c("or_outcomes_inform_investment", "patient_outcomes_often", "outcomes_inform_investment", "patient_outcome_freq"),
  c("or_patient_record_access", "uses_outcome_measures", "patient_record_access", NA))
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
suppressMessages(library(MASS))
fmt <- function(x) formatC(x, digits = 10, format = "g")
for (a in assoc) {
  sets <- list("Model 1" = character(0), "Model 2" = demo, "Model 3" = c(demo, job))
  for (m in names(sets)) {
    rhs <- paste(c(a[3], sets[[m]]), collapse = " + ")
    g <- glm(as.formula(paste(a[2], "~", rhs)), family = binomial, data = d, control = ctl)
    s <- summary(g)$coefficients[paste0(a[3], "Yes"), ]
    cat(sprintf('("logistic", "%s", "%s"): (%s, %s, %s),\n', a[1], m, fmt(s[1]), fmt(s[2]), fmt(s[4])))
    if (!is.na(a[4])) {
      p <- polr(as.formula(paste(a[4], "~", rhs)), data = d, Hess = TRUE, method = "logistic",
                control = list(reltol = 1e-14, maxit = 1000))
      est <- coef(p)[paste0(a[3], "Yes")]
      se <- sqrt(diag(vcov(p)))[paste0(a[3], "Yes")]
      cat(sprintf('("ordinal", "%s", "%s"): (%s, %s, %s),\n', a[1], m, fmt(est), fmt(se), fmt(2 * pnorm(-abs(est / se)))))
    }
  }
}
"""

SYNTHETIC_SHA256 = "6fc0de336bc0aebcca06331f94f734c5cf3c1b7b78a6125da913c57e7d1f273c"

# (kind, claim id, model): (estimate, std_error, p_value)
EXPOSURE = {
    ("logistic", "or_aware_information_standard", "Model 1"): (0.837756848, 0.2043672618, 4.144530081e-05),
    ("ordinal", "or_aware_information_standard", "Model 1"): (0.8010505767, 0.181633441, 1.032469009e-05),
    ("logistic", "or_aware_information_standard", "Model 2"): (0.8361974335, 0.2114697388, 7.67853973e-05),
    ("ordinal", "or_aware_information_standard", "Model 2"): (0.8053959356, 0.1862973671, 1.5380033e-05),
    ("logistic", "or_aware_information_standard", "Model 3"): (0.8296426376, 0.2230748921, 0.0001999168401),
    ("ordinal", "or_aware_information_standard", "Model 3"): (0.7478041202, 0.1958142986, 0.0001340234055),
    ("logistic", "or_shares_outcomes", "Model 1"): (1.878682938, 0.3440015814, 4.727603873e-08),
    ("ordinal", "or_shares_outcomes", "Model 1"): (2.200283188, 0.2593715013, 2.192080597e-17),
    ("logistic", "or_shares_outcomes", "Model 2"): (1.869681237, 0.3492129052, 8.603720477e-08),
    ("ordinal", "or_shares_outcomes", "Model 2"): (2.167633652, 0.2623520848, 1.428828005e-16),
    ("logistic", "or_shares_outcomes", "Model 3"): (1.810227374, 0.3580859672, 4.297437694e-07),
    ("ordinal", "or_shares_outcomes", "Model 3"): (2.125492852, 0.2694656084, 3.075416103e-15),
    ("logistic", "or_outcomes_inform_investment", "Model 1"): (0.5244976754, 0.2468563162, 0.03361095664),
    ("ordinal", "or_outcomes_inform_investment", "Model 1"): (0.7005879034, 0.218330415, 0.001332704985),
    ("logistic", "or_outcomes_inform_investment", "Model 2"): (0.4989547898, 0.250186716, 0.04611603927),
    ("ordinal", "or_outcomes_inform_investment", "Model 2"): (0.6669146817, 0.2203432657, 0.0024723282),
    ("logistic", "or_outcomes_inform_investment", "Model 3"): (0.5642499712, 0.2604032607, 0.03024770955),
    ("ordinal", "or_outcomes_inform_investment", "Model 3"): (0.7009359655, 0.2246199336, 0.00180518475),
    ("logistic", "or_patient_record_access", "Model 1"): (-1.651307634, 0.3192893398, 2.318223578e-07),
    ("logistic", "or_patient_record_access", "Model 2"): (-1.637039731, 0.3223390639, 3.801731424e-07),
    ("logistic", "or_patient_record_access", "Model 3"): (-1.517632349, 0.3415655684, 8.864492737e-06),
}
