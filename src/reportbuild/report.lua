--[[
report.lua: pandoc filter for the report (run before --citeproc).

- Cross-references: a citation whose keys are all `fig-`, `tbl-` or `sec-` labels becomes a link
  ("Figure 2.1"); `[-@fig-x]` gives the number alone. Numbers come from the metadata field
  `crossref` written by reportbuild.render. An unknown label prints a warning and shows as
  "?@label" (as Quarto does).
- Tables: `.report-table` divs (a caption and an HTML or Markdown table). HTML keeps the table's
  own HTML; other formats (Typst) get a real table parsed from the HTML with pandoc.read, with
  great_tables' title rows and source notes moved out, column alignment set, header in bold.
- `.cell-output-html` divs: kept in HTML; parsed to pandoc blocks elsewhere.
- Quarto callouts (`.callout-note` ...) and `.content-visible` / `.content-hidden` divs.
]]

local labels = {}
local is_html = FORMAT:match("html") ~= nil
local is_typst = FORMAT:match("typst") ~= nil
local stringify = pandoc.utils.stringify
local KINDS = { fig = true, tbl = true, sec = true }

local function warn(msg)
  io.stderr:write("[WARNING] report.lua: " .. msg .. "\n")
end

local function has_class(el, cls)
  for _, c in ipairs(el.classes or {}) do
    if c == cls then return true end
  end
  return false
end

-- metadata ------------------------------------------------------------------

local function read_meta(meta)
  local map = meta.crossref
  if map then
    for id, v in pairs(map) do
      labels[id] = { kind = stringify(v.kind), number = stringify(v.number) }
    end
  end
end

-- cross-references ----------------------------------------------------------

local function crossref_id(id)
  local prefix = id:match("^(%a+)%-")
  return prefix and KINDS[prefix:lower()] ~= nil
end

local function Cite(cite)
  for _, c in ipairs(cite.citations) do
    if not crossref_id(c.id) then return nil end
  end
  local out = pandoc.List()
  for i, c in ipairs(cite.citations) do
    if i > 1 then
      out:insert(pandoc.Str(i == #cite.citations and " and" or ","))
      out:insert(pandoc.Space())
    end
    if #c.prefix > 0 then
      out:extend(c.prefix)
      out:insert(pandoc.Space())
    end
    local id = c.id
    local entry = labels[id] or labels[id:sub(1, 1):lower() .. id:sub(2)]
    if entry then
      local text = entry.kind .. "\u{00A0}" .. entry.number
      if c.mode == "SuppressAuthor" then text = entry.number end
      out:insert(pandoc.Link(text, "#" .. id:sub(1, 1):lower() .. id:sub(2)))
    else
      warn("unresolved cross-reference @" .. id)
      out:insert(pandoc.Strong(pandoc.Str("?@" .. id)))
    end
    if #c.suffix > 0 then out:extend(c.suffix) end
  end
  return out
end

-- tables --------------------------------------------------------------------

local function row_has(row, cls)
  return has_class(row.attr or row, cls)
end

local function looks_numeric(s)
  s = s:gsub("\u{2212}", "-"):gsub("%s", "")
  if s == "" or s == "—" or s == "–" or s == "NA" or s == "NaN" then return nil end
  return s:match("^[<>≤≥]?[%(%[]?[-+]?%d[%d.,]*%%?[%)%]]?%*?$") ~= nil
    or s:match("^[-+]?%d[%d.,]*%%?[%(%[].*[%)%]]$") ~= nil
end

local function cell_align(cell)
  for _, c in ipairs(cell.attr.classes) do
    if c == "gt_right" then return "AlignRight" end
    if c == "gt_center" then return "AlignCenter" end
    if c == "gt_left" then return "AlignLeft" end
  end
  return nil
end

local function bold_cell(cell)
  cell.contents = cell.contents:walk({
    Plain = function(p) return pandoc.Plain({ pandoc.Strong(p.content) }) end,
    Para = function(p) return pandoc.Plain({ pandoc.Strong(p.content) }) end,
  })
  return cell
end

-- Wide tables in print: relative column widths from the text each column holds (Typst's auto
-- columns would squeeze the first, wordy column to a sliver). Narrow tables keep auto widths.
local WIDE = 100 -- characters across a line of the table at its font size
local function text_len(s)
  return utf8.len(s) or #s
end

function set_widths(tbl)
  local ncol = #tbl.colspecs
  local body, head, word = {}, {}, {}
  for j = 1, ncol do body[j], head[j], word[j] = 1, 1, 1 end
  local function visit(rows, full)
    for _, row in ipairs(rows) do
      if #row.cells == ncol then
        for j, cell in ipairs(row.cells) do
          local t = stringify(cell.contents)
          full[j] = math.max(full[j], text_len(t))
          for w in t:gmatch("%S+") do word[j] = math.max(word[j], text_len(w)) end
        end
      end
    end
  end
  visit(tbl.head.rows, head)
  for _, b in ipairs(tbl.bodies) do visit(b.body, body) end
  local total = 0
  for j = 1, ncol do total = total + math.max(body[j], head[j]) + 2 end
  if total <= WIDE then return end
  -- header text may wrap (at word boundaries); body text wraps only in long text columns
  -- A column never gets narrower than its longest word (short columns such as 'type' keep
  -- their width); only the slack of the long text columns is shrunk to fit the line.
  local want, floor, sum, floors = {}, {}, 0, 0
  for j = 1, ncol do
    floor[j] = math.max(word[j], 4) + 2
    want[j] = math.max(math.min(body[j], 38) + 2, floor[j])
    sum, floors = sum + want[j], floors + floor[j]
  end
  if sum > WIDE then
    -- shrink the slack above each floor to fit the line; with no room left, widths follow the floors
    local scale = floors < WIDE and (WIDE - floors) / (sum - floors) or 0
    sum = 0
    for j = 1, ncol do
      want[j] = floor[j] + (want[j] - floor[j]) * scale
      sum = sum + want[j]
    end
  end
  for j = 1, ncol do tbl.colspecs[j] = { tbl.colspecs[j][1], want[j] / sum } end
end

-- Clean a table parsed from HTML: returns the table, its title (inlines) and notes (blocks).
local function clean_table(tbl)
  local title = pandoc.List()
  local notes = pandoc.List()
  local keep = pandoc.List()
  for _, row in ipairs(tbl.head.rows) do
    if row_has(row, "gt_heading") then
      local t = stringify(row.cells[1].contents)
      if t ~= "" then
        if #title > 0 then title:extend({ pandoc.Str(":"), pandoc.Space() }) end
        title:extend(pandoc.Inlines(t))
      end
    else
      keep:insert(row)
    end
  end
  tbl.head.rows = keep
  for _, row in ipairs(tbl.foot.rows) do
    for _, cell in ipairs(row.cells) do
      local t = stringify(cell.contents)
      if t ~= "" then notes:insert(pandoc.Para(pandoc.Inlines(t))) end
    end
  end
  tbl.foot.rows = pandoc.List()
  -- column alignment: great_tables classes, else numbers right-aligned
  local ncol = #tbl.colspecs
  for j = 1, ncol do
    local align, numeric, any = nil, true, false
    for _, body in ipairs(tbl.bodies) do
      for _, row in ipairs(body.body) do
        local cell = row.cells[j]
        if cell and #row.cells == ncol then
          align = align or cell_align(cell)
          local n = looks_numeric(stringify(cell.contents))
          if n ~= nil then
            any = true
            numeric = numeric and n
          end
        end
      end
    end
    local a = align or ((any and numeric) and "AlignRight" or "AlignLeft")
    tbl.colspecs[j] = { a, tbl.colspecs[j][2] }
  end
  -- body cells: let column alignment apply; header cells bold (Typst has no th style)
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      for _, cell in ipairs(row.cells) do cell.alignment = "AlignDefault" end
    end
  end
  if is_typst then
    for _, row in ipairs(tbl.head.rows) do
      for _, cell in ipairs(row.cells) do bold_cell(cell) end
    end
    -- great_tables row-group headings in italics
    for _, body in ipairs(tbl.bodies) do
      for _, row in ipairs(body.body) do
        if row_has(row, "gt_group_heading_row") then
          for _, cell in ipairs(row.cells) do
            cell.contents = cell.contents:walk({
              Plain = function(p) return pandoc.Plain({ pandoc.Emph(p.content) }) end,
            })
          end
        end
      end
    end
    -- long identifiers (snake_case) may break after an underscore
    tbl = tbl:walk({
      Str = function(s)
        if #s.text > 12 and s.text:find("_") then
          return pandoc.Str((s.text:gsub("_", "_\u{200B}")))
        end
      end,
    })
  end
  if is_typst then set_widths(tbl) end
  tbl.attr = pandoc.Attr("")
  return tbl, title, notes
end

local function small_notes(notes)
  if #notes == 0 then return pandoc.List() end
  if is_typst then
    local inner = pandoc.write(pandoc.Pandoc(notes), "typst")
    return pandoc.List({ pandoc.RawBlock("typst", "#block(width: 100%, above: 0.4em)[#set text(size: 8pt)\n#set par(justify: false)\n" .. inner .. "]") })
  end
  return pandoc.List({ pandoc.Div(notes, pandoc.Attr("", { "table-notes" })) })
end

-- HTML text -> pandoc blocks, with tables cleaned (title and notes kept as text).
local function html_to_blocks(html)
  local ok, doc = pcall(pandoc.read, html, "html")
  if not ok then
    warn("could not read an HTML output: " .. tostring(doc))
    return pandoc.List()
  end
  local out = pandoc.List()
  local function visit(blocks)
    for _, b in ipairs(blocks) do
      if b.t == "Table" then
        local tbl, title, notes = clean_table(b)
        if #title > 0 then out:insert(pandoc.Para({ pandoc.Strong(title) })) end
        out:insert(tbl)
        out:extend(small_notes(notes))
      elseif b.t == "Div" then
        visit(b.content)
      elseif b.t ~= "RawBlock" then
        out:insert(b)
      end
    end
  end
  visit(doc.blocks)
  return out
end

local function first_table(blocks)
  for i, b in ipairs(blocks) do
    if b.t == "Table" then return i, b end
  end
  return nil
end

-- many columns: a smaller font for this table only (Typst)
local function maybe_small(blocks, tbl)
  if not is_typst or #tbl.colspecs < 8 then return blocks end
  local out = pandoc.List({ pandoc.RawBlock("typst", "#[#show table: set text(size: 7.4pt)") })
  out:extend(blocks)
  out:insert(pandoc.RawBlock("typst", "]"))
  return out
end

local function report_table(div)
  local caption = pandoc.List()
  local rest = pandoc.List()
  for _, b in ipairs(div.content) do
    if b.t == "Div" and has_class(b, "report-table-caption") then
      caption = pandoc.utils.blocks_to_inlines(b.content)
    else
      rest:insert(b)
    end
  end
  local id = div.identifier
  if is_html then return nil end -- the div keeps the caption on top and the table's own HTML
  -- a Markdown table: give it the caption and the label
  local i, tbl = first_table(rest)
  if tbl then
    tbl.caption = { long = { pandoc.Plain(caption) } }
    tbl.attr = pandoc.Attr(id)
    rest[i] = tbl
    return rest
  end
  local blocks = pandoc.List()
  for _, b in ipairs(rest) do
    if b.t == "RawBlock" and b.format == "html" then blocks:extend(html_to_blocks(b.text)) else blocks:insert(b) end
  end
  local j, t = first_table(blocks)
  if not t then
    warn("no table found in " .. (id ~= "" and id or "a table output"))
    return blocks
  end
  -- the great_tables title goes under the number if there is no tbl-cap
  if j > 1 and blocks[j - 1].t == "Para" and #blocks[j - 1].content == 1 and blocks[j - 1].content[1].t == "Strong" then
    local title = blocks[j - 1].content[1].content
    local own = caption
    if #caption > 0 and caption[1].t == "Strong" then
      own = pandoc.Inlines({})
      for k = 2, #caption do own:insert(caption[k]) end
    end
    own = stringify(own):gsub("^%s+", "")
    if own == "" then
      caption:insert(pandoc.Space())
      caption:extend(title)
    elseif stringify(title) ~= own then
      if not own:match("[.:;!?]$") then caption:insert(pandoc.Str(".")) end
      caption:insert(pandoc.Space())
      caption:extend(title)
    end
    blocks:remove(j - 1)
    j = j - 1
  end
  t.caption = { long = { pandoc.Plain(caption) } }
  t.attr = pandoc.Attr(id)
  blocks[j] = t
  return maybe_small(blocks, t)
end

-- callouts and conditional content -------------------------------------------

local CALLOUT = {
  note = { "Note", "#2b6cb0" }, tip = { "Tip", "#2f855a" }, warning = { "Warning", "#b7791f" },
  important = { "Important", "#c53030" }, caution = { "Caution", "#c05621" },
}

local function callout(div)
  local kind
  for _, c in ipairs(div.classes) do
    local k = c:match("^callout%-(%a+)$")
    if k and CALLOUT[k] then kind = k end
  end
  if not kind then return nil end
  local title = div.attributes.title and pandoc.Inlines(div.attributes.title) or nil
  local content = pandoc.List(div.content)
  if not title and content[1] and content[1].t == "Header" then
    title = content[1].content
    content:remove(1)
  end
  title = title or pandoc.Inlines(CALLOUT[kind][1])
  if is_typst then
    local color = CALLOUT[kind][2]
    local out = pandoc.List({ pandoc.RawBlock("typst",
      "#block(width: 100%, breakable: true, inset: (x: 10pt, y: 8pt), radius: 2pt, fill: rgb(\"" .. color ..
      "\").lighten(92%), stroke: (left: 2.5pt + rgb(\"" .. color .. "\")))[") })
    out:insert(pandoc.Para({ pandoc.Strong(title) }))
    out:extend(content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  local head = pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "callout-title" }))
  local body = pandoc.Div(content, pandoc.Attr("", { "callout-body" }))
  return pandoc.Div({ head, body }, pandoc.Attr(div.identifier, { "callout", "callout-" .. kind }))
end

local function format_matches(spec)
  if not spec then return nil end
  for f in spec:gmatch("[^%s,]+") do
    if f == FORMAT or (f == "html" and is_html) or ((f == "pdf" or f == "typst") and is_typst) then return true end
  end
  return false
end

local function conditional(div)
  if has_class(div, "content-visible") then
    local w, u = format_matches(div.attributes["when-format"]), format_matches(div.attributes["unless-format"])
    if w == false or u == true then return {} end
    return div.content
  elseif has_class(div, "content-hidden") then
    local w, u = format_matches(div.attributes["when-format"]), format_matches(div.attributes["unless-format"])
    if w == true or u == false or (w == nil and u == nil) then return {} end
    return div.content
  end
  return nil
end

local function Div(div)
  local c = conditional(div)
  if c then return c end
  if has_class(div, "report-table") then return report_table(div) end
  if has_class(div, "cell-output-html") and not is_html then
    local out = pandoc.List()
    for _, b in ipairs(div.content) do
      if b.t == "RawBlock" and b.format == "html" then out:extend(html_to_blocks(b.text)) else out:insert(b) end
    end
    return out
  end
  return callout(div)
end

-- figures: a sensible default width in print --------------------------------

local function Image(img)
  return nil -- natural size (matplotlib writes its dpi into the PNG); Typst caps it at the text width
end

-- chapters open a new page in print: only top-level chapter headings (a heading inside a
-- container cannot break the page in Typst)
local function Pandoc(doc)
  if not is_typst then return nil end
  local blocks = pandoc.List()
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 1 then
      blocks:insert(pandoc.RawBlock("typst", "#pagebreak(weak: true)"))
    end
    blocks:insert(b)
  end
  doc.blocks = blocks
  return doc
end

return {
  { Meta = read_meta },
  { Div = Div, Cite = Cite, Image = Image },
  { Pandoc = Pandoc },
}
