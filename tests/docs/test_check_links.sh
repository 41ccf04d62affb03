#!/bin/bash
# check_links finds each kind of broken link, and passes a site whose links all resolve.
# Usage: test_check_links.sh CHECK_LINKS WORK_DIR
set -u
check_links=$1
work=$2
rm -rf "$work" && mkdir -p "$work/site/sub"
failures=0

# A site whose every link resolves: a page, an anchor, a subfolder, an image, an
# <object> picture, an external link, and a tree-view entry.
write_good_site() {
  cat > "$work/site/index.html" <<'HTML'
<html><body><a id="top"></a>
<a href="page.html#part">page</a> <a href="#top">top</a> <a href="sub/inner.html">inner</a>
<img src="picture.png"/> <object data="chart.svg"></object> <a href="https://example.org/x.html">out</a>
</body></html>
HTML
  cat > "$work/site/page.html" <<'HTML'
<html><body><h2 id="part">Part</h2><a href="index.html">home</a></body></html>
HTML
  cat > "$work/site/sub/inner.html" <<'HTML'
<html><body><a href="../index.html#top">up</a></body></html>
HTML
  echo 'var NAVTREEINDEX0 = { "a":[["page.html#part"]] };' > "$work/site/navtreeindex0.js"
  : > "$work/site/picture.png"
  : > "$work/site/chart.svg"
}

# Runs check_links on the site with one file changed; it must fail and name `expected`.
expect_broken() {
  local description=$1 expected=$2
  if output=$("$check_links" "$work/site" 2>&1); then
    echo "FAIL: $description: check_links passed"
    failures=$((failures + 1))
  elif ! grep -qF -- "$expected" <<<"$output"; then
    echo "FAIL: $description: the report does not name $expected:"
    echo "$output"
    failures=$((failures + 1))
  fi
  write_good_site
}

write_good_site
if ! output=$("$check_links" "$work/site" 2>&1); then
  echo "FAIL: a site whose links resolve was refused:"
  echo "$output"
  failures=$((failures + 1))
fi

sed -i 's|page.html#part|missing.html|' "$work/site/index.html"
expect_broken "a link to a missing page" 'link "missing.html": no such file'
sed -i 's|page.html#part|page.html#nowhere|' "$work/site/index.html"
expect_broken "a link to a missing anchor" "no anchor 'nowhere' in page.html"
rm "$work/site/picture.png"
expect_broken "a missing image" 'link "picture.png": no such file'
rm "$work/site/chart.svg"
expect_broken "a missing <object> picture" 'link "chart.svg": no such file'
sed -i 's|sub/inner.html|/usr/share/inner.html|' "$work/site/index.html"
expect_broken "an absolute path" "an absolute path"
sed -i 's|../index.html#top|../../outside.html|' "$work/site/sub/inner.html"
expect_broken "a link out of the site" "points outside the site"
sed -i 's|page.html#part|page.html#gone|' "$work/site/navtreeindex0.js"
expect_broken "a tree-view entry to a missing anchor" "no anchor 'gone' in page.html"

if "$check_links" "$work/no-such-folder" >/dev/null 2>&1; then
  echo "FAIL: a missing site folder was accepted"
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "check_links: every kind of broken link found, the good site passed"
