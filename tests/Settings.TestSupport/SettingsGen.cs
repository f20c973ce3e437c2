using FsCheck;
using FsCheck.Fluent;

namespace RouterHost.Settings.TestSupport;

/// <summary>FsCheck generators of random settings for the property tests of settings parsers.</summary>
public static class SettingsGen
{
    /// <summary>
    /// Up to as many entries as there are keys, each one of <paramref name="keys"/> (nested ones such as
    /// <c>Routes:1:Via</c> too) with one of <paramref name="values"/>; a key drawn twice keeps its last value.
    /// </summary>
    public static Gen<Dictionary<string, string?>> Entries(string[] keys, string[] values)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return Gen.Choose(0, keys.Length)
            .SelectMany(n => Gen.ArrayOf(Gen.Elements(keys).SelectMany(k => Gen.Elements(values).Select(v => (k, v))), n))
            .Select(ToDictionary);
    }

    /// <summary>Any number of entries, each one of <paramref name="keys"/> with any string FsCheck makes (nulls included).</summary>
    public static Gen<Dictionary<string, string?>> AnyValues(string[] keys) =>
        Gen.ListOf(Gen.Elements(keys).SelectMany(k => ArbMap.Default.GeneratorFor<string>().Select(v => (k, v))))
            .Select(ToDictionary);

    private static Dictionary<string, string?> ToDictionary(IEnumerable<(string Key, string Value)> pairs)
    {
        var entries = new Dictionary<string, string?>();
        foreach ((string key, string value) in pairs)
        {
            entries[key] = value;
        }

        return entries;
    }
}
