//! Variant kanji (異体字, 旧字体, 俗字) folded to one representative form.
//!
//! Guarantees: every character maps to at most one representative, a representative is never itself
//! folded again (no chains, so folding is idempotent), and all entries are stable under NFKC, so the
//! fold can run after NFKC. The tables are sorted by code point and searched by binary search.
//!
//! [`GENERAL`] is applied to names, organisations, departments and addresses. Its pairs are characters
//! that people and legacy systems substitute for one another when writing the same name (`髙`/`高`,
//! `邊`/`邉`/`辺`, `齋`/`齊`/`斎`/`斉`, `澤`/`沢`, …). [`ADDRESS`] and [`ADDRESS_PAIRS`] hold
//! substitutions seen only in place names (`花脊`/`花背`, `塩竈`/`塩釜`, `鍛冶`/`鍛治`); applying them
//! to personal names would merge names that are legally distinct (`克己`/`克巳`).

/// Folds a character through the general table.
pub(super) fn fold(c: char) -> char {
    lookup(GENERAL, c).unwrap_or(c)
}

/// Folds a character through the general table and then the address-only table.
pub(super) fn fold_address(c: char) -> char {
    match lookup(GENERAL, c) {
        Some(r) => r,
        None => lookup(ADDRESS, c).unwrap_or(c),
    }
}

/// The representative of a two-character spelling that differs between notations of one place name,
/// looked up after [`fold_address`] has run on both characters.
pub(super) fn address_pair(a: char, b: char) -> Option<Pair> {
    ADDRESS_PAIRS
        .binary_search_by_key(&(a, b), |&(from, _)| from)
        .ok()
        .and_then(|i| ADDRESS_PAIRS.get(i))
        .map(|&(_, to)| to)
}

fn lookup(table: &[(char, char)], c: char) -> Option<char> {
    // Everything in the tables is outside ASCII and kana; skip the search for the common case.
    if (c as u32) < 0x4E00 {
        return None;
    }
    table.binary_search_by_key(&c, |&(from, _)| from).ok().and_then(|i| table.get(i)).map(|&(_, to)| to)
}

/// Two characters of a place name.
type Pair = (char, char);

/// Two-character place-name spellings, after character folding: (written, representative).
/// Sorted by the written pair.
#[rustfmt::skip]
static ADDRESS_PAIRS: &[(Pair, Pair)] = &[
    (('塩', '竃'), ('塩', '釜')),  // 塩竈市 / 塩竃 / 塩釜
    (('斑', '目'), ('班', '目')),  // 南足柄市班目 / 斑目
    (('氷', '飽'), ('氷', '鉋')),  // 上氷鉋 / 上氷飽
    (('辰', '己'), ('辰', '巳')),  // 醍醐辰己町 / 辰巳
    (('鍛', '冶'), ('鍛', '治')),  // 鍛治屋町 / 鍛冶屋町
];

/// Variant kanji used in names and places, folded to the common (mostly 新字体) form.
#[rustfmt::skip]
pub(super) static GENERAL: &[(char, char)] = &[
    ('乘', '乗'), ('亙', '亘'), ('亞', '亜'), ('佛', '仏'), ('來', '来'), ('傳', '伝'), ('兒', '児'), ('兔', '兎'),
    ('冨', '富'), ('冲', '沖'), ('凉', '涼'), ('凞', '熙'), ('劍', '剣'), ('劔', '剣'), ('區', '区'), ('卷', '巻'),
    ('國', '国'), ('圍', '囲'), ('圓', '円'), ('團', '団'), ('埀', '垂'), ('堯', '尭'), ('塲', '場'), ('增', '増'),
    ('壓', '圧'), ('壯', '壮'), ('壻', '婿'), ('壽', '寿'), ('娄', '婁'), ('學', '学'), ('實', '実'), ('寬', '寛'),
    ('寳', '宝'), ('寶', '宝'), ('將', '将'), ('專', '専'), ('對', '対'), ('峯', '峰'), ('嵜', '崎'), ('嶋', '島'),
    ('嶌', '島'), ('嶹', '島'), ('嶽', '岳'), ('巖', '巌'), ('廐', '厩'), ('廢', '廃'), ('廣', '広'), ('廳', '庁'),
    ('彥', '彦'), ('徑', '径'), ('德', '徳'), ('惠', '恵'), ('惡', '悪'), ('戶', '戸'), ('拜', '拝'), ('插', '挿'),
    ('揷', '挿'), ('搜', '捜'), ('擧', '挙'), ('攝', '摂'), ('斉', '斎'), ('晉', '晋'), ('晝', '昼'), ('曻', '昇'),
    ('曾', '曽'), ('會', '会'), ('栁', '柳'), ('桒', '桑'), ('條', '条'), ('榮', '栄'), ('槇', '槙'), ('槗', '橋'),
    ('樂', '楽'), ('樣', '様'), ('檜', '桧'), ('檢', '検'), ('檮', '梼'), ('櫸', '欅'), ('櫻', '桜'), ('歸', '帰'),
    ('殘', '残'), ('氣', '気'), ('淵', '渕'), ('淸', '清'), ('淺', '浅'), ('溪', '渓'), ('澁', '渋'), ('澤', '沢'),
    ('濟', '済'), ('濱', '浜'), ('濵', '浜'), ('瀧', '滝'), ('瀨', '瀬'), ('灣', '湾'), ('炮', '砲'), ('燈', '灯'),
    ('燒', '焼'), ('爲', '為'), ('狹', '狭'), ('獎', '奨'), ('獵', '猟'), ('畫', '画'), ('畵', '画'), ('當', '当'),
    ('疊', '畳'), ('發', '発'), ('盡', '尽'), ('眞', '真'), ('眾', '衆'), ('碎', '砕'), ('祕', '秘'), ('祗', '祇'),
    ('禮', '礼'), ('稱', '称'), ('稻', '稲'), ('穗', '穂'), ('穩', '穏'), ('竈', '竃'), ('籔', '薮'), ('籠', '篭'),
    ('粹', '粋'), ('絲', '糸'), ('經', '経'), ('綠', '緑'), ('縣', '県'), ('縱', '縦'), ('總', '総'), ('繩', '縄'),
    ('繪', '絵'), ('聰', '聡'), ('聲', '声'), ('聽', '聴'), ('肅', '粛'), ('腦', '脳'), ('臺', '台'), ('與', '与'),
    ('舊', '旧'), ('舍', '舎'), ('舘', '館'), ('莊', '荘'), ('萠', '萌'), ('萬', '万'), ('藏', '蔵'), ('藪', '薮'),
    ('處', '処'), ('號', '号'), ('螢', '蛍'), ('蟲', '虫'), ('衞', '衛'), ('裝', '装'), ('覺', '覚'), ('觀', '観'),
    ('諌', '諫'), ('譯', '訳'), ('讀', '読'), ('變', '変'), ('豐', '豊'), ('豫', '予'), ('豬', '猪'), ('賣', '売'),
    ('轉', '転'), ('辭', '辞'), ('遙', '遥'), ('邇', '迩'), ('邉', '辺'), ('邊', '辺'), ('邨', '村'), ('郞', '郎'),
    ('鄕', '郷'), ('醉', '酔'), ('醫', '医'), ('醱', '醗'), ('釋', '釈'), ('釡', '釜'), ('釼', '剣'), ('錢', '銭'),
    ('鎭', '鎮'), ('鐵', '鉄'), ('關', '関'), ('隨', '随'), ('險', '険'), ('隱', '隠'), ('雜', '雑'), ('靈', '霊'),
    ('靑', '青'), ('靜', '静'), ('顏', '顔'), ('顯', '顕'), ('驅', '駆'), ('驒', '騨'), ('驗', '験'), ('驛', '駅'),
    ('髓', '髄'), ('體', '体'), ('髙', '高'), ('髮', '髪'), ('鬪', '闘'), ('鰺', '鯵'), ('鶯', '鴬'), ('鷏', '鷆'),
    ('鷗', '鴎'), ('鹽', '塩'), ('麥', '麦'), ('麴', '麹'), ('黃', '黄'), ('黑', '黒'), ('默', '黙'), ('齊', '斎'),
    ('齋', '斎'), ('齒', '歯'), ('龍', '竜'), ('龜', '亀'), ('﨑', '崎'), ('﨔', '欅'), ('𠮷', '吉'),
];

/// Substitutions seen in place names only.
#[rustfmt::skip]
pub(super) static ADDRESS: &[(char, char)] = &[
    ('擽', '櫟'), ('爾', '迩'), ('脊', '背'),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn check_table(table: &[(char, char)]) {
        for w in table.windows(2) {
            assert!(w[0].0 < w[1].0, "table not sorted or duplicated at {:?}", w[0]);
        }
        for &(from, to) in table {
            assert_ne!(from, to);
            assert_eq!(fold_address(to), to, "chain through {to}");
            assert_eq!(from.to_string().nfkc().collect::<String>(), from.to_string(), "{from} not NFKC-stable");
            assert_eq!(to.to_string().nfkc().collect::<String>(), to.to_string(), "{to} not NFKC-stable");
        }
    }

    #[test]
    fn tables_are_sorted_and_idempotent() {
        check_table(GENERAL);
        check_table(ADDRESS);
        for &(from, _) in ADDRESS {
            assert!(lookup(GENERAL, from).is_none(), "{from} in both tables");
        }
        for w in ADDRESS_PAIRS.windows(2) {
            assert!(w[0].0 < w[1].0);
        }
        for &((a, b), (c, d)) in ADDRESS_PAIRS {
            assert_eq!((fold_address(a), fold_address(b)), (a, b), "pair source must be folded already");
            assert!(address_pair(c, d).is_none(), "pair chain");
        }
    }

    #[test]
    fn folds_requested_variants() {
        for (a, b) in [
            ('藪', '薮'),
            ('籔', '薮'),
            ('溪', '渓'),
            ('鰺', '鯵'),
            ('髙', '高'),
            ('﨑', '崎'),
            ('邊', '辺'),
            ('邉', '辺'),
            ('澤', '沢'),
            ('廣', '広'),
            ('齋', '斎'),
            ('齊', '斎'),
            ('斉', '斎'),
        ] {
            assert_eq!(fold(a), fold(b), "{a} {b}");
        }
        assert_eq!(fold('脊'), '脊', "address-only fold must not apply to names");
        assert_eq!(fold_address('脊'), '背');
        assert_eq!(fold('a'), 'a');
    }
}
