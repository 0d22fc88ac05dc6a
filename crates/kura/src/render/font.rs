//! The font that PDF labels and documents are set in: loading a TrueType or OpenType file, measuring and
//! encoding text, and embedding the glyphs used as a subset with a `ToUnicode` map.
//!
//! Text is written as 2-byte glyph ids of the subset (`Identity-H`); the `ToUnicode` map takes each glyph
//! back to its character, so that the text of the PDF can be searched, copied and extracted. The subset and
//! the map depend only on the glyphs used, in the order first used: the same text gives the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId, Tag};

/// What is wrong with a font file; each caller turns it into its own error.
#[derive(Debug)]
pub(super) struct Problem {
    /// The font file's path.
    pub(super) path: String,
    /// What is wrong, with a hint at the fix.
    pub(super) reason: String,
}

impl Problem {
    fn new(path: &Path, reason: impl Into<String>) -> Self {
        Problem { path: path.display().to_string(), reason: reason.into() }
    }
}

/// Reads a font file, saying how to install the default font when it is missing.
pub(super) fn load(path: &Path) -> Result<Vec<u8>, Problem> {
    std::fs::read(path).map_err(|e| {
        let reason = if e.kind() == std::io::ErrorKind::NotFound {
            "not found; install the Debian package `fonts-ipaexfont` (`apt-get install fonts-ipaexfont`) or name \
             another font with Japanese glyphs"
                .to_owned()
        } else {
            format!("cannot be read: {e}")
        };
        Problem::new(path, reason)
    })
}

/// The font, parsed, with the glyphs used so far.
pub(super) struct Font<'a> {
    face: Face<'a>,
    data: &'a [u8],
    index: u32,
    units: f32,
    remapper: GlyphRemapper,
    /// New glyph id → the character it shows and its advance in thousandths of an em.
    used: BTreeMap<u16, (char, f32)>,
}

impl<'a> Font<'a> {
    /// Parses face `index` of the font file `data`, read from `path`.
    pub(super) fn new(data: &'a [u8], index: u32, path: &Path) -> Result<Self, Problem> {
        let face = Face::parse(data, index).map_err(|_| Problem::new(path, "is not a TrueType or OpenType font"))?;
        let units = f32::from(face.units_per_em().max(1));
        Ok(Font { face, data, index, units, remapper: GlyphRemapper::new(), used: BTreeMap::new() })
    }

    /// The glyph for `c`, if the font has one (glyph 0, `.notdef`, does not count).
    pub(super) fn glyph(&self, c: char) -> Option<GlyphId> {
        self.face.glyph_index(c).filter(|g| g.0 != 0)
    }

    /// Whether the font can show `c`.
    pub(super) fn has(&self, c: char) -> bool {
        self.glyph(c).is_some()
    }

    /// Advance of `c` in ems (0 for a character without a glyph, which callers have refused already).
    pub(super) fn advance(&self, c: char) -> f32 {
        self.glyph(c).and_then(|g| self.face.glyph_hor_advance(g)).map_or(0.0, |a| f32::from(a) / self.units)
    }

    /// Width of `text` in points at `size`.
    pub(super) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c) * size).sum()
    }

    /// The ascender, in ems (positive).
    pub(super) fn ascent(&self) -> f32 {
        f32::from(self.face.ascender()) / self.units
    }

    /// The descender, in ems (negative).
    pub(super) fn descent(&self) -> f32 {
        f32::from(self.face.descender()) / self.units
    }

    /// `text` as 2-byte glyph ids of the subset, recording each glyph used. Characters without a glyph are
    /// left out (callers refuse them before).
    pub(super) fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let Some(g) = self.glyph(c) else { continue };
            let new = self.remapper.remap(g.0);
            let advance = self.advance(c) * 1000.0;
            self.used.entry(new).or_insert((c, advance));
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }

    /// Writes the Type 0 font, its CID font, descriptor, `ToUnicode` map and the subset font file, under
    /// `refs` = `[type0, cid, descriptor, cmap, file]`. `tag` is the six capital letters that name the subset
    /// (PDF 32000-1, 9.6.4); `path` is only for error messages.
    pub(super) fn embed(
        &self,
        pdf: &mut Pdf,
        tag: &str,
        path: &Path,
        [type0, cid, descriptor, cmap, file]: [Ref; 5],
    ) -> Result<(), Problem> {
        let subset = subsetter::subset(self.data, self.index, &self.remapper)
            .map_err(|e| Problem::new(path, format!("cannot be subset ({e})")))?;
        let face = &self.face;
        let cff = face.raw_face().table(Tag::from_bytes(b"CFF ")).is_some();
        let ps_name: String = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .unwrap_or_else(|| "Font".to_owned())
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let base = format!("{tag}+{ps_name}");
        let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
        let em = |v: i16| f32::from(v) / self.units * 1000.0;

        pdf.type0_font(type0)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);

        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(if cff { CidFontType::Type0 } else { CidFontType::Type2 })
            .base_font(Name(base.as_bytes()))
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(1000.0);
        if !cff {
            cid_font.cid_to_gid_map_predefined(Name(b"Identity"));
        }
        let mut widths = cid_font.widths();
        for (&g, &(_, w)) in &self.used {
            widths.consecutive(g, [w]);
        }
        widths.finish();
        cid_font.finish();

        let b = face.global_bounding_box();
        let mut desc = pdf.font_descriptor(descriptor);
        desc.name(Name(base.as_bytes()))
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(em(b.x_min), em(b.y_min), em(b.x_max), em(b.y_max)))
            .italic_angle(face.italic_angle())
            .ascent(em(face.ascender()))
            .descent(em(face.descender()))
            .cap_height(em(face.capital_height().unwrap_or_else(|| face.ascender())))
            .stem_v(80.0);
        if cff {
            desc.font_file3(file);
        } else {
            desc.font_file2(file);
        }
        desc.finish();

        let mut map = UnicodeCmap::new(Name(b"Custom"), system);
        for (&g, &(c, _)) in &self.used {
            map.pair(g, c);
        }
        pdf.cmap(cmap, &map.finish()).name(Name(b"Custom")).system_info(system);

        let compressed = deflate(&subset);
        let mut stream = pdf.stream(file, &compressed);
        stream.filter(Filter::FlateDecode);
        if cff {
            stream.pair(Name(b"Subtype"), Name(b"OpenType"));
        }
        stream.finish();
        Ok(())
    }
}

/// zlib-compresses a stream (level 6: the PDF's size matters more than the time).
pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}
