using System.Text.Json;
using System.Text.RegularExpressions;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>The status document against docs/status.md: every documented field present with its type, nothing undocumented.</summary>
public sealed partial class MetricsInteropTests
{
    [GeneratedRegex("""^\| `(?<path>[^`]+)` \| (?<type>[a-z\\|]+) \| (?<meaning>.*)\|$""")]
    private static partial Regex SchemaRow();

    [GeneratedRegex("""\[[A-Za-z]+\]""")]
    private static partial Regex Selector();

    private static void AssertMatchesDocumentedSchema(JsonElement root)
    {
        var rows = new List<(string Path, string Type, string Meaning)>();
        foreach (string line in File.ReadLines(Path.Combine(RepositoryPaths.Root, "docs", "status.md")))
        {
            Match match = SchemaRow().Match(line);
            if (match.Success)
            {
                rows.Add((match.Groups["path"].Value, match.Groups["type"].Value.Replace("\\|", "|", StringComparison.Ordinal), match.Groups["meaning"].Value));
            }
        }

        Assert.True(rows.Count > 50, $"docs/status.md lists only {rows.Count} fields");
        string document = root.GetRawText();

        // Every documented field is there, with its type.
        foreach ((string path, string type, string meaning) in rows)
        {
            var current = new List<JsonElement> { root };
            string[] segments = path.Split('.');
            for (int i = 0; i < segments.Length; i++)
            {
                Match selector = Regex.Match(segments[i], """^(?<name>[a-z0-9_]+)(\[(?<select>[A-Za-z]*)\])?$""");
                Assert.True(selector.Success, $"docs/status.md: bad field path {path}");
                string name = selector.Groups["name"].Value;
                var next = new List<JsonElement>();
                foreach (JsonElement element in current)
                {
                    if (!element.TryGetProperty(name, out JsonElement value))
                    {
                        Assert.True(i == segments.Length - 1 && meaning.Contains("absent when", StringComparison.Ordinal), $"{path}: '{name}' is missing\n{document}");
                        continue;
                    }

                    if (!selector.Groups["select"].Success || i == segments.Length - 1)
                    {
                        next.Add(value);
                        continue;
                    }

                    if (value.ValueKind == JsonValueKind.Null)
                    {
                        continue;
                    }

                    string select = selector.Groups["select"].Value;
                    foreach (JsonElement item in value.EnumerateArray())
                    {
                        if (select.Length == 0 || Kind(item) == select)
                        {
                            next.Add(item);
                        }
                    }
                }

                current = next;
            }

            foreach (JsonElement value in current)
            {
                Assert.True(HasType(value, type), $"{path}: documented as {type}, is {value.GetRawText()}");
            }
        }

        // Every field present is documented.
        var documented = new HashSet<string>(rows.Select(r => Selector().Replace(r.Path, "[]")), StringComparer.Ordinal);
        var types = rows.GroupBy(r => Selector().Replace(r.Path, "[]")).ToDictionary(g => g.Key, g => g.First().Type, StringComparer.Ordinal);
        void Walk(JsonElement element, string prefix)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                string path = prefix.Length == 0 ? property.Name : $"{prefix}.{property.Name}";
                if (path.EndsWith(".status", StringComparison.Ordinal))
                {
                    Assert.Equal(JsonValueKind.Object, property.Value.ValueKind); // not "status unavailable: …"
                    Walk(property.Value, path);
                    continue;
                }

                Assert.True(documented.Contains(path), $"{path} is in the document but not in docs/status.md");
                if (types[path] == "counts")
                {
                    continue;
                }

                if (property.Value.ValueKind == JsonValueKind.Object)
                {
                    Walk(property.Value, path);
                }
                else if (property.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement item in property.Value.EnumerateArray())
                    {
                        if (item.ValueKind == JsonValueKind.Object)
                        {
                            Walk(item, path + "[]");
                        }
                    }
                }
            }
        }

        Walk(root, string.Empty);
    }

    /// <summary>What a <c>[Type]</c> selector matches: a stage's type, an interface's backend.</summary>
    private static string? Kind(JsonElement item) =>
        item.TryGetProperty("type", out JsonElement type) ? type.GetString()
        : item.TryGetProperty("backend", out JsonElement backend) ? backend.GetString() : null;

    private static bool HasType(JsonElement value, string type)
    {
        if (type.EndsWith("|null", StringComparison.Ordinal))
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return true;
            }

            type = type[..^"|null".Length];
        }

        return type switch
        {
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "string" => value.ValueKind == JsonValueKind.String,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "array" => value.ValueKind == JsonValueKind.Array,
            "object" => value.ValueKind == JsonValueKind.Object,
            "counts" => value.ValueKind == JsonValueKind.Object && value.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out _)),
            "strings" => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String),
            _ => false,
        };
    }
}
