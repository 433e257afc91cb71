"""Step 4, presentation: tables, figures, sentences, small-cell suppression, chapter set-up."""
