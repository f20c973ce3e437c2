using System.Text.RegularExpressions;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// Blocks of a page of docs/ as a reader sees them, for tests that run the documentation's examples as written: the
/// first ```json or ```sh block after a heading or phrase.
/// </summary>
public static partial class DocumentedText
{
    /// <summary>The first ```json block after <paramref name="marker"/> in docs/<paramref name="page"/>.</summary>
    public static string Json(string page, string marker) => After(page, marker, JsonBlock(), "JSON");

    /// <summary>The first ```sh block after <paramref name="marker"/>, one command per line, comments removed.</summary>
    public static string[] Commands(string page, string marker) =>
        [.. After(page, marker, ShellBlock(), "sh").Split('\n')
            .Select(l => (l.Contains('#', StringComparison.Ordinal) ? l[..l.IndexOf('#', StringComparison.Ordinal)] : l).Trim())
            .Where(l => l.Length > 0)];

    private static string After(string page, string marker, Regex block, string kind)
    {
        string text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", page));
        int at = text.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{marker}' is gone from docs/{page}");
        Match found = block.Match(text, at);
        Assert.True(found.Success, $"no {kind} block after '{marker}' in docs/{page}");
        return found.Groups[1].Value;
    }

    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex("```sh\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
