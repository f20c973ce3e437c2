using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using RouterHost.Configuration;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Configuration;

/// <summary>
/// The <c>--config</c> layer answers "the children of this path" from an index built once per load; it must answer
/// exactly what the base class's scan of every key answers (once each, in the same order), for every path of random
/// files: nested objects, arrays, empty ones, keys that differ only in case from their parents' siblings.
/// </summary>
public sealed class ConfigurationChildIndexTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_indexed_children_of_every_path_are_the_scanned_ones_for_random_files()
    {
        var random = new Random(16);
        for (int round = 0; round < 40; round++)
        {
            string file = _dir.WriteFile($"c{round}.json", RandomObject(random, 0));
            var scanned = new JsonConfigurationProvider(new JsonConfigurationSource { Path = file, FileProvider = null });
            var indexed = new TrustedJsonConfigurationProvider(new TrustedJsonConfigurationSource { FullPath = file, Path = file });
            using (Stream stream = File.OpenRead(file))
            {
                scanned.Load(stream);
            }

            using (Stream stream = File.OpenRead(file))
            {
                indexed.Load(stream);
            }

            var paths = new List<string?> { null, "nope", "a:nope" };
            Collect(scanned, null, paths);
            foreach (string? path in paths)
            {
                string[] earlier = random.Next(2) == 0 ? [] : ["zz", "0", "a"];
                string[] expected = [.. scanned.GetChildKeys(earlier, path).Distinct(StringComparer.OrdinalIgnoreCase)];
                string[] actual = [.. indexed.GetChildKeys(earlier, path).Distinct(StringComparer.OrdinalIgnoreCase)];
                Assert.True(expected.SequenceEqual(actual, StringComparer.OrdinalIgnoreCase), $"round {round}, path '{path}': expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
            }
        }
    }

    private static void Collect(IConfigurationProvider provider, string? path, List<string?> into)
    {
        foreach (string child in provider.GetChildKeys([], path).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            string full = path is null ? child : $"{path}:{child}";
            into.Add(full);
            into.Add(full.ToUpperInvariant());
            Collect(provider, full, into);
        }
    }

    private static string RandomObject(Random random, int depth)
    {
        int count = depth > 3 ? 0 : random.Next(0, 5);
        var members = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < count; i++)
        {
            string name = random.Next(4) switch { 0 => "a", 1 => "B", 2 => $"k{random.Next(20)}", _ => random.Next(12).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (names.Add(name))
            {
                members.Add($"\"{name}\": {RandomValue(random, depth + 1)}");
            }
        }

        return "{" + string.Join(", ", members) + "}";
    }

    private static string RandomValue(Random random, int depth) => random.Next(4) switch
    {
        0 => RandomObject(random, depth),
        1 => "[" + string.Join(", ", Enumerable.Range(0, depth > 3 ? 0 : random.Next(0, 12)).Select(_ => random.Next(3) == 0 ? RandomObject(random, depth + 1) : "\"v\"")) + "]",
        2 => "\"text\"",
        _ => random.Next(100).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
