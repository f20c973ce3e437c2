using System.Text;
using System.Text.RegularExpressions;
using RouterHost.Linux.TestSupport;

namespace RouterHost.Tests.Documentation;

/// <summary>
/// docs/architecture.md stays a map that points at real things: every repository path it and the pages under
/// docs/architecture/ name exists, none of them points outside the repository, and every relative link in docs/
/// (and README.md) reaches its file and, where it names one, its heading.
/// </summary>
public sealed partial class ArchitectureDocTests
{
    private const int MapLineLimit = 200;

    private static readonly string[] PathExtensions = [".cs", ".md", ".props", ".targets", ".csproj", ".json", ".sh", ".sln", ".service"];

    [Fact]
    public void The_architecture_map_is_at_most_200_lines()
    {
        int lines = File.ReadAllLines(Doc("architecture.md")).Length;
        Assert.True(lines <= MapLineLimit, $"docs/architecture.md has {lines} lines; it is a map of at most {MapLineLimit}: move the depth to a page under docs/architecture/");
    }

    [Fact]
    public void Every_repository_path_the_architecture_pages_name_exists()
    {
        HashSet<string> fileNames = RepositoryFileNames();
        var topLevel = Directory.GetDirectories(RepositoryPaths.Root).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).ToHashSet(StringComparer.Ordinal);
        var missing = new List<string>();
        int checkedPaths = 0;
        foreach (string page in ArchitecturePages())
        {
            foreach ((int line, string token) in CodeSpans(page))
            {
                if (token.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' or '*' or '{' or '$' or '(' or '='))
                {
                    continue;
                }

                string path = token.TrimEnd('/');
                int slash = path.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0 && topLevel.Contains(path[..slash]))
                {
                    checkedPaths++;
                    if (!Exists(Path.Combine(RepositoryPaths.Root, path)))
                    {
                        missing.Add($"{Relative(page)}:{line}: `{token}` does not exist");
                    }
                }
                else if (slash < 0 && !path.StartsWith('.') && PathExtensions.Any(e => path.EndsWith(e, StringComparison.Ordinal)))
                {
                    checkedPaths++;
                    if (!fileNames.Contains(path))
                    {
                        missing.Add($"{Relative(page)}:{line}: no file named `{token}` in the repository");
                    }
                }
            }
        }

        Assert.True(checkedPaths > 100, $"only {checkedPaths} paths found in the architecture pages; is the scan broken?");
        Assert.True(missing.Count == 0, $"{missing.Count} path(s) named in docs/architecture*.md do not exist (fix the page or the path):\n" + string.Join("\n", missing));
    }

    [Fact]
    public void The_architecture_pages_point_at_nothing_outside_the_repository()
    {
        var outside = new List<string>();
        foreach (string page in ArchitecturePages())
        {
            string[] lines = File.ReadAllLines(page);
            for (int i = 0; i < lines.Length; i++)
            {
                if (IssueNumber().Match(lines[i]) is { Success: true } issue)
                {
                    outside.Add($"{Relative(page)}:{i + 1}: '{issue.Value}': an issue number a reader of the repository cannot look up; say what it means instead");
                }
            }

            foreach ((int line, string token) in CodeSpans(page))
            {
                if (token.StartsWith("../", StringComparison.Ordinal) && !Inside(Path.Combine(Path.GetDirectoryName(page)!, token)))
                {
                    outside.Add($"{Relative(page)}:{line}: `{token}` is outside the repository");
                }
            }
        }

        Assert.True(outside.Count == 0, string.Join("\n", outside));
    }

    [Fact]
    public void Every_relative_link_in_the_docs_resolves_inside_the_repository()
    {
        var broken = new List<string>();
        var headings = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        int links = 0;
        foreach (string page in AllDocs())
        {
            foreach ((int line, string target) in Links(page))
            {
                if (target.StartsWith("http://", StringComparison.Ordinal) || target.StartsWith("https://", StringComparison.Ordinal))
                {
                    continue;
                }

                links++;
                string where = $"{Relative(page)}:{line}: ({target})";
                if (Uri.TryCreate(target, UriKind.Absolute, out Uri? uri) && uri.Scheme.Length > 1)
                {
                    broken.Add($"{where}: a link leaves the repository ({uri.Scheme}:); only http(s) links may");
                    continue;
                }

                int hash = target.IndexOf('#', StringComparison.Ordinal);
                string file = hash < 0 ? target : target[..hash];
                string? anchor = hash < 0 ? null : target[(hash + 1)..];
                string resolved = file.Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, Uri.UnescapeDataString(file)));
                if (!Inside(resolved))
                {
                    broken.Add($"{where}: points outside the repository");
                }
                else if (!Exists(resolved))
                {
                    broken.Add($"{where}: {Relative(resolved)} does not exist");
                }
                else if (anchor is not null && resolved.EndsWith(".md", StringComparison.Ordinal) && File.Exists(resolved))
                {
                    if (!headings.TryGetValue(resolved, out HashSet<string>? slugs))
                    {
                        slugs = HeadingSlugs(resolved);
                        headings[resolved] = slugs;
                    }

                    if (!slugs.Contains(anchor))
                    {
                        broken.Add($"{where}: {Relative(resolved)} has no heading #{anchor}");
                    }
                }
            }
        }

        Assert.True(links > 50, $"only {links} relative links found in docs/; is the scan broken?");
        Assert.True(broken.Count == 0, $"{broken.Count} broken link(s):\n" + string.Join("\n", broken));
    }

    [Fact]
    public void Heading_slugs_follow_the_rule_of_the_site_that_renders_them()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "# A\n## Fast path end to end (TUN ↔ WireGuard ↔ UDP)\n```\n# not a heading\n```\n## `IQueue`, and more\n## A\n");
            HashSet<string> slugs = HeadingSlugs(file);
            Assert.Equal(["a", "a-1", "fast-path-end-to-end-tun--wireguard--udp", "iqueue-and-more"], slugs.Order(StringComparer.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string Doc(string name) => Path.Combine(RepositoryPaths.Root, "docs", name);

    private static IEnumerable<string> ArchitecturePages() =>
        new[] { Doc("architecture.md") }.Concat(Directory.GetFiles(Doc("architecture"), "*.md").Order(StringComparer.Ordinal));

    private static IEnumerable<string> AllDocs() =>
        Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "docs"), "*.md", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Append(Path.Combine(RepositoryPaths.Root, "README.md"));

    private static string Relative(string path) => Path.GetRelativePath(RepositoryPaths.Root, path).Replace('\\', '/');

    private static bool Inside(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetFullPath(RepositoryPaths.Root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(root, StringComparison.Ordinal) || full + Path.DirectorySeparatorChar == root;
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    /// <summary>Names of the files the repository holds (build outputs and dot-folders left out).</summary>
    private static HashSet<string> RepositoryFileNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([RepositoryPaths.Root]);
        while (pending.Count > 0)
        {
            string folder = pending.Pop();
            foreach (string file in Directory.GetFiles(folder))
            {
                names.Add(Path.GetFileName(file));
            }

            foreach (string sub in Directory.GetDirectories(folder))
            {
                string name = Path.GetFileName(sub);
                if (!name.StartsWith('.') && name is not "bin" and not "obj")
                {
                    pending.Push(sub);
                }
            }
        }

        return names;
    }

    /// <summary>The lines of <paramref name="page"/> outside fenced code blocks, numbered from 1.</summary>
    private static IEnumerable<(int Line, string Text)> ProseLines(string page)
    {
        bool fenced = false;
        int number = 0;
        foreach (string line in File.ReadLines(page))
        {
            number++;
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }

            if (!fenced)
            {
                yield return (number, line);
            }
        }
    }

    private static IEnumerable<(int Line, string Token)> CodeSpans(string page) =>
        ProseLines(page).SelectMany(l => CodeSpan().Matches(l.Text).Select(m => (l.Line, m.Groups[1].Value)));

    private static IEnumerable<(int Line, string Target)> Links(string page) =>
        ProseLines(page).SelectMany(l => Link().Matches(CodeSpan().Replace(l.Text, string.Empty)).Select(m => (l.Line, m.Groups[1].Value)));

    /// <summary>The anchors a heading gets when rendered: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    private static HashSet<string> HeadingSlugs(string page)
    {
        var slugs = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((int _, string line) in ProseLines(page))
        {
            Match heading = Heading().Match(line);
            if (!heading.Success)
            {
                continue;
            }

            var slug = new StringBuilder();
            foreach (char c in heading.Groups[1].Value.Trim().ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            string text = slug.ToString();
            int count = seen.GetValueOrDefault(text);
            seen[text] = count + 1;
            slugs.Add(count == 0 ? text : $"{text}-{count}");
        }

        return slugs;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"\bissues?\s+#?\d+", RegexOptions.IgnoreCase)]
    private static partial Regex IssueNumber();
}
