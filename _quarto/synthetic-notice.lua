-- Quarto filter: the synthetic-data notice on every page, from the metadata `synthetic` (set by
-- the build from the data it ran on) and `synthetic-notice` (_quarto.yml). HTML: a banner
-- before the body of every page. Typst: the notice at the start and a mark in every page header.
-- The built-in renderer (helpers.build.render) reads the same two keys.

local function escape_html(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function escape_typst(s)
  return (s:gsub("([\\#%[%]%*_`$<>@~\"])", "\\%1"))
end

function Meta(meta)
  if meta.synthetic ~= true then
    return nil
  end
  local notice = pandoc.utils.stringify(meta["synthetic-notice"] or "")
  if quarto.doc.is_format("html") then
    quarto.doc.include_text("before-body",
      '<div class="synthetic-banner" role="note"><strong>SYNTHETIC DATA</strong> '
      .. '<span>' .. escape_html(notice) .. '</span></div>')
    quarto.doc.include_text("in-header", [[<style>
.synthetic-banner { position: sticky; top: 0; z-index: 2000; padding: .45rem 1rem; font-size: .85rem;
  background: #fff4e5; border-bottom: 2px solid #b42318; color: #3b2a1a; }
.synthetic-banner strong { color: #b42318; letter-spacing: .08em; margin-right: .6em; }
</style>]])
  elseif quarto.doc.is_format("typst") then
    -- the page foreground, not the header: Quarto's book template (orange-book) sets its own
    -- header, and its cover page has none
    quarto.doc.include_text("in-header", [[
#set page(foreground: place(top + right, dx: -1.2cm, dy: 0.9cm,
  text(size: 7.5pt, fill: rgb("#b42318"), weight: "bold")[SYNTHETIC DATA]))]])
    quarto.doc.include_text("before-body",
      '#block(width: 100%, inset: 10pt, fill: rgb("#fff4e5"), stroke: (left: 3pt + rgb("#b42318")))['
      .. '#text(weight: "bold", fill: rgb("#b42318"))[SYNTHETIC DATA] \\ '
      .. escape_typst(notice) .. ']')
  end
  return nil
end
