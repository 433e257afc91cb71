-- Quarto filter: each figure's alt text, written from the data by its chapter
-- (helpers.figures), is stored in the SVG as its Dublin Core description; Quarto takes alt text
-- only from static `fig-alt` cell options, so this filter reads it back. HTML gets it as the
-- image's alt attribute, Typst as image(alt: ...) (Quarto's Typst writer reads `alt`).
-- Runs after Quarto's own filters (`at: post-quarto`), when figure captions are already apart
-- from the image, so setting the image's description does not change the caption.

local function unescape(s)
  return (s:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"'):gsub("&apos;", "'"):gsub("&amp;", "&"))
end

local function svg_description(src)
  local candidates = { src }
  local input = quarto.doc.input_file
  if input then table.insert(candidates, pandoc.path.join({ pandoc.path.directory(input), src })) end
  for _, path in ipairs(candidates) do
    local f = io.open(path, "r")
    if f then
      local head = f:read(20000) or ""
      f:close()
      local desc = head:match("<dc:description>(.-)</dc:description>")
      if desc then return unescape(desc) end
      return nil
    end
  end
  return nil
end

function Image(img)
  if not img.src:match("%.svg$") then return nil end
  if img.attributes["fig-alt"] or img.attributes["alt"] then return nil end
  local alt = svg_description(img.src)
  if not alt or alt == "" then return nil end
  img.attributes["alt"] = alt
  if quarto.doc.is_format("html") then img.caption = pandoc.Inlines(alt) end
  return img
end
