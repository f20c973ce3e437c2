using System.Text.RegularExpressions;
using RouterHost.Linux.TestSupport;

namespace RouterHost.Tests.Documentation;

/// <summary>
/// Every <c>[LoggerMessage]</c> under src/ and plugins/ has an explicit <c>EventId</c>, unique in its assembly and
/// inside the range docs/architecture/logging.md gives that assembly's project.
/// </summary>
public sealed partial class LogEventIdTests
{
    [Fact]
    public void Every_logger_message_has_a_unique_event_id_in_its_assemblys_documented_range()
    {
        Dictionary<string, (int From, int To)> ranges = DocumentedRanges();
        Assert.True(ranges.Count >= 8, $"only {ranges.Count} ranges read from docs/architecture/logging.md; is the table still there?");

        var problems = new List<string>();
        var seen = new Dictionary<(string Project, int Id), string>();
        int methods = 0;
        foreach (string folder in new[] { "src", "plugins" })
        {
            foreach (string file in Directory.GetFiles(Path.Combine(RepositoryPaths.Root, folder), "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                string relative = Path.GetRelativePath(RepositoryPaths.Root, file).Replace('\\', '/');
                if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal))
                {
                    continue;
                }

                string text = File.ReadAllText(file);
                int attributes = AttributeStart().Count(text);
                if (attributes == 0)
                {
                    continue;
                }

                string project = ProjectOf(file);
                MatchCollection found = Attribute().Matches(text);
                if (found.Count != attributes)
                {
                    problems.Add($"{relative}: {attributes} [LoggerMessage( attribute(s), but only {found.Count} could be read; write each as [LoggerMessage(EventId = N, ...)] on one method");
                }

                foreach (Match attribute in found)
                {
                    methods++;
                    int line = text.AsSpan(0, attribute.Index).Count('\n') + 1;
                    string where = $"{relative}:{line} {attribute.Groups["method"].Value}";
                    Match id = EventId().Match(attribute.Groups["args"].Value);
                    if (!ranges.TryGetValue(project, out (int From, int To) range))
                    {
                        problems.Add($"{where}: project {project} has no event id range in docs/architecture/logging.md; add a row (the next free block of 100)");
                        continue;
                    }

                    if (!id.Success)
                    {
                        problems.Add($"{where}: no EventId; give it one in {range.From}–{range.To} not used elsewhere in {project}");
                        continue;
                    }

                    int value = int.Parse(id.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (value < range.From || value > range.To)
                    {
                        problems.Add($"{where}: EventId {value} is outside {project}'s range {range.From}–{range.To}");
                    }

                    if (seen.TryGetValue((project, value), out string? first))
                    {
                        problems.Add($"{where}: EventId {value} is already used by {first}");
                    }
                    else
                    {
                        seen[(project, value)] = where;
                    }
                }
            }
        }

        Assert.True(methods > 100, $"only {methods} [LoggerMessage] methods found; is the scan broken?");
        Assert.True(problems.Count == 0, $"{problems.Count} event id problem(s):\n" + string.Join("\n", problems));
    }

    /// <summary>The project folder (<c>src/Host</c>) holding <paramref name="file"/>: the nearest folder above it with a project file.</summary>
    private static string ProjectOf(string file)
    {
        for (string? folder = Path.GetDirectoryName(file); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (Directory.GetFiles(folder, "*.csproj").Length > 0)
            {
                return Path.GetRelativePath(RepositoryPaths.Root, folder).Replace('\\', '/');
            }
        }

        return "(no project)";
    }

    /// <summary>The rows <c>| `project` | `assembly` | from–to |</c> of docs/architecture/logging.md.</summary>
    private static Dictionary<string, (int From, int To)> DocumentedRanges()
    {
        var ranges = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(Path.Combine(RepositoryPaths.Root, "docs", "architecture", "logging.md")))
        {
            Match row = RangeRow().Match(line);
            if (row.Success)
            {
                ranges[row.Groups[1].Value] = (
                    int.Parse(row.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture),
                    int.Parse(row.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return ranges;
    }

    [Fact]
    public void The_ranges_of_the_documented_table_do_not_overlap()
    {
        var ranges = DocumentedRanges().OrderBy(r => r.Value.From).ToList();
        for (int i = 1; i < ranges.Count; i++)
        {
            Assert.True(ranges[i].Value.From > ranges[i - 1].Value.To, $"{ranges[i].Key}'s range overlaps {ranges[i - 1].Key}'s");
        }
    }

    [GeneratedRegex(@"\[LoggerMessage\(")]
    private static partial Regex AttributeStart();

    [GeneratedRegex(@"\[LoggerMessage\((?<args>[^\]]*?)\)\]\s*(?:\[[^\]]*\]\s*)*[^(;{}]*?\s(?<method>\w+)\s*\(", RegexOptions.Singleline)]
    private static partial Regex Attribute();

    [GeneratedRegex(@"\bEventId\s*=\s*(\d+)")]
    private static partial Regex EventId();

    [GeneratedRegex(@"^\|\s*`([^`]+)`\s*\|\s*`[^`]+`\s*\|\s*(\d+)\s*[–-]\s*(\d+)\s*\|\s*$")]
    private static partial Regex RangeRow();
}
