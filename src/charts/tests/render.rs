//! PNG and SVG output: sizes, series colours, the y range, Japanese titles.

use super::*;

#[test]
fn every_kind_renders_a_png_of_its_size_with_its_series_drawn() {
    for spec in all_specs() {
        let png = render(&spec, Format::Png).expect("render");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let img = decode(&png);
        assert_eq!(img.dimensions(), spec.size(), "{}", spec.title());
        for c in series_colours(&spec) {
            let (n, _, _) = pixels_of(&img, c);
            assert!(n > 100, "{}: {n} pixels of {c:?}", spec.title());
        }
    }
    assert_eq!(ChartSpec::Ranking(synthetic_ranking()).size(), (960, 1274));
}

#[test]
fn averages_near_three_are_not_a_flat_line_on_the_top_edge() {
    // National overall averages 2.826 (FY2003) … 2.99 (FY2007): the y axis
    // runs 2.75–3.05, so the line climbs over most of the plot's height.
    let spec = published(ChartKind::Overall, None);
    let img = decode(&render(&spec, Format::Png).expect("render"));
    let (_, top, bottom) = pixels_of(&img, colors::MAIN);
    assert!(bottom - top > 200, "line spans rows {top}..{bottom}");
    // Its points are labelled with the averages.
    let ChartSpec::Overall(t) = &spec else {
        panic!("overall")
    };
    let values: Vec<String> = t.series[0]
        .points
        .iter()
        .map(|(_, v)| fixed(*v, 2))
        .collect();
    assert_eq!(values, ["2.83", "2.88", "2.94", "2.97", "2.99"]);
    let svg = String::from_utf8(render(&spec, Format::Svg).expect("svg")).expect("utf-8");
    for v in &values {
        assert!(svg.contains(&format!("aria-label=\"{v}\"")), "{v}");
    }
    assert!(svg.contains("aria-label=\"縦軸：評価点（1〜3、3が満点）の 2.75〜3.05 を表示\""));
    assert!(svg.contains("aria-label=\"H15\"") && svg.contains("aria-label=\"H19\""));
}

#[test]
fn average_range_fits_the_data_within_one_to_three() {
    assert_eq!(average_range([2.826, 2.985]), (2.75, 3.05));
    assert_eq!(average_range([3.0, 3.0]), (2.95, 3.05));
    assert_eq!(average_range([2.96]), (2.9, 3.05));
    assert_eq!(average_range([1.0, 2.0]), (1.0, 3.05));
    assert_eq!(average_range([]), (2.95, 3.05));
}

#[test]
fn every_svg_holds_its_japanese_title_and_draws_glyphs_as_outlines() {
    for spec in all_specs() {
        let svg = String::from_utf8(render(&spec, Format::Svg).expect("render")).expect("utf-8");
        let title = spec.title();
        assert!(svg.contains(&format!("<title>{title}</title>")), "{title}");
        assert!(svg.contains(&format!("aria-label=\"{title}\"")), "{title}");
        // No <text>: nothing is left to the viewer's fonts.
        assert!(!svg.contains("<text"), "{title}");
        assert!(svg.contains("<use xlink:href=\"#g"), "{title}");
        let face = font::font().expect("font");
        let id = face.glyph_id(title.chars().next().expect("a character")).0;
        assert!(
            svg.contains(&format!("<path id=\"g{id}\" d=\"M")),
            "{title}"
        );
        for c in series_colours(&spec) {
            let hex = format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
            assert!(svg.contains(&hex), "{title}: {hex}");
        }
    }
    let svg = render(&published(ChartKind::Overall, None), Format::Svg).expect("svg");
    assert!(String::from_utf8(svg)
        .expect("utf-8")
        .starts_with("<svg width=\"960\" height=\"560\""));
}
