"""The build: execute the notebooks with papermill, then render the book.

Entry point: ``python -m helpers build ...`` (:mod:`reportbuild.cli`), driven by ``make report``.

- :mod:`reportbuild.project`  reads ``_quarto.yml`` (chapters, title, bibliography, formats);
- :mod:`reportbuild.stamps`   content hashes and the stamp file that makes the build incremental;
- :mod:`reportbuild.execute`  jupytext + papermill, in parallel, into a staging folder;
- :mod:`reportbuild.render`   Quarto when installed, else pandoc (HTML) + Typst (PDF);
- :mod:`reportbuild.cli`      validation, staging, atomic commit of the outputs.

Data files shipped with the package: ``report.lua`` (pandoc filter: cross-references, tables,
callouts), ``report.html`` (HTML template), ``report.css``, ``report.typ`` (Typst template).
"""

from pathlib import Path

ASSETS = Path(__file__).resolve().parent
