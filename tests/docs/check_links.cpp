// check_links SITE_DIR: every link and image of a generated HTML site resolves.
//
// Reads every .html and .svg file under SITE_DIR (Graphviz's class graphs link to the
// class pages) and the tree view's navtree*.js, whose entries are links too; takes each
// href, src and data (an <object>'s picture), and checks that the file it names exists
// inside the site and, when it names an anchor (#name), that the file has an element
// with that id or name. Links to other sites (http:, https:, mailto:) are not followed;
// an absolute path is an error, since the site must work wherever it is copied. Prints
// a summary; exits 1 naming each broken link and the page it is on, 2 on bad usage.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_external(const std::string& link) {
  for (const char* scheme : {"http:", "https:", "mailto:", "javascript:", "data:", "ftp:"})
    if (link.rfind(scheme, 0) == 0) return true;
  return false;
}

// %20 and the like, as a browser reads a relative URL.
std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The anchors a link may point at in a page, read once per page. `strict`: the ids and
// names of its elements, which is what an HTML link must reach. `shown`: those, plus
// the members the page lists without documenting them there -- Doxygen's tree view
// points at such a member on its file's page, where its row carries the anchor as
// class="memitem:ANCHOR" (an enum value: a link to ANCHOR in its enum's row) and its
// documentation is on its namespace's page. The tree view's entries are held to that.
class Anchors {
 public:
  struct Sets {
    std::set<std::string> strict, shown;
  };
  const Sets& of(const fs::path& page) {
    auto it = cache_.find(page);
    if (it != cache_.end()) return it->second;
    Sets& sets = cache_[page];
    static const std::regex id_pattern(R"re(\b(?:id|name)="([^"]*)")re");
    static const std::regex listed_pattern(R"re(class="memitem:([^"]*)"|href="[^"#]*#([^"]*)")re");
    const std::string text = read_file(page);
    for (auto m = std::sregex_iterator(text.begin(), text.end(), id_pattern); m != std::sregex_iterator();
         ++m)
      sets.strict.insert((*m)[1].str());
    sets.shown = sets.strict;
    for (auto m = std::sregex_iterator(text.begin(), text.end(), listed_pattern); m != std::sregex_iterator();
         ++m)
      sets.shown.insert((*m)[1].matched ? (*m)[1].str() : (*m)[2].str());
    return sets;
  }

 private:
  std::map<fs::path, Sets> cache_;
};

struct Link {
  fs::path page;
  std::string target;
};

std::vector<Link> links_in(const fs::path& page) {
  static const std::regex html_pattern(R"re(\b(?:href|src|data)="([^"]*)")re");
  static const std::regex navtree_pattern(R"re("([^"\s]+\.html(?:#[^"]*)?)")re");
  const std::string text = read_file(page);
  const std::regex& pattern = page.extension() == ".js" ? navtree_pattern : html_pattern;
  std::vector<Link> links;
  for (auto m = std::sregex_iterator(text.begin(), text.end(), pattern); m != std::sregex_iterator(); ++m)
    links.push_back({page, (*m)[1].str()});
  return links;
}

// Empty when the link resolves, else why not.
std::string problem(const Link& link, const fs::path& site, Anchors& anchors) {
  const std::string& target = link.target;
  if (target.empty() || is_external(target)) return "";
  if (target[0] == '/') return "an absolute path (the site must work wherever it is copied)";
  const std::size_t hash = target.find('#');
  const std::string file = percent_decoded(target.substr(0, std::min(target.find('?'), hash)));
  const std::string anchor = hash == std::string::npos ? "" : target.substr(hash + 1);
  const fs::path resolved = file.empty() ? link.page : (link.page.parent_path() / file).lexically_normal();
  const auto [site_end, resolved_end] =
      std::mismatch(site.begin(), site.end(), resolved.begin(), resolved.end());
  if (site_end != site.end()) return "points outside the site";
  if (!fs::is_regular_file(resolved)) return "no such file";
  if (anchor.empty() || resolved.extension() != ".html") return "";
  const bool from_tree_view = link.page.extension() == ".js";
  const Anchors::Sets& targets = anchors.of(resolved);
  if (!(from_tree_view ? targets.shown : targets.strict).count(anchor))
    return "no anchor '" + anchor + "' in " + fs::relative(resolved, site).string();
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || !fs::is_directory(argv[1])) {
    std::fprintf(stderr, "usage: check_links SITE_DIR (a folder of HTML pages)\n");
    return 2;
  }
  const fs::path site = fs::canonical(argv[1]);
  std::vector<fs::path> pages;
  for (const auto& entry : fs::recursive_directory_iterator(site)) {
    const fs::path& path = entry.path();
    const std::string name = path.filename().string();
    if (path.extension() == ".html" || path.extension() == ".svg" ||
        (path.extension() == ".js" && name.rfind("navtree", 0) == 0))
      pages.push_back(path);
  }
  if (pages.empty()) {
    std::fprintf(stderr, "check_links: no HTML pages in %s\n", site.c_str());
    return 1;
  }
  Anchors anchors;
  std::size_t checked = 0, broken = 0;
  for (const fs::path& page : pages) {
    for (const Link& link : links_in(page)) {
      ++checked;
      const std::string why = problem(link, site, anchors);
      if (why.empty()) continue;
      if (++broken <= 50)
        std::fprintf(stderr, "%s: link \"%s\": %s\n", fs::relative(page, site).c_str(), link.target.c_str(),
                     why.c_str());
    }
  }
  if (broken > 0) {
    std::fprintf(stderr, "check_links: %zu of %zu links in %zu pages do not resolve\n", broken, checked,
                 pages.size());
    return 1;
  }
  std::printf("check_links: all %zu links and images in %zu pages resolve\n", checked, pages.size());
  return 0;
}
