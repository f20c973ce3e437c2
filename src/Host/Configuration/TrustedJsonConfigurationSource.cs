using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using RouterHost.Linux;

namespace RouterHost.Configuration;

/// <summary>
/// A <c>--config</c> file: JSON, watched for changes, and read only while <see cref="FileTrust"/> trusts it (owned by
/// root or the router's user, writable by nobody else, in folders nobody else can write). A file that is not trusted
/// at start is refused; one that stops being trusted while the router runs is not read again: its provider keeps
/// the last contents it trusted and reports the refusal (<see cref="TrustedJsonConfigurationProvider.Refusal"/>),
/// which the reloader logs, refusing the reload.
/// </summary>
internal sealed class TrustedJsonConfigurationSource : JsonConfigurationSource
{
    /// <summary>The file's absolute path.</summary>
    public required string FullPath { get; init; }

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new TrustedJsonConfigurationProvider(this);
    }
}

/// <summary>The provider of a <see cref="TrustedJsonConfigurationSource"/>.</summary>
internal sealed class TrustedJsonConfigurationProvider : JsonConfigurationProvider
{
    private readonly string _fullPath;
    private volatile string? _refusal;
    private bool _loaded;
    private Dictionary<string, List<string>>? _children;

    public TrustedJsonConfigurationProvider(TrustedJsonConfigurationSource source)
        : base(source) => _fullPath = source.FullPath;

    /// <summary>The file's absolute path.</summary>
    public string FullPath => _fullPath;

    /// <summary>Why the file's latest contents were not taken (it is not trusted), or null when they were.</summary>
    public string? Refusal => _refusal;

    public override void Load(Stream stream)
    {
        if (!FileTrust.Check(_fullPath, TrustedPathKind.ConfigurationFile, out string? problem))
        {
            _refusal = problem;
            if (!_loaded)
            {
                throw new ConfigurationFileRefusedException(problem!);
            }

            // Nothing of a file others could have written is taken: the data stays as last trusted.
            return;
        }

        base.Load(stream);
        _children = null;
        _loaded = true;
        _refusal = null;
    }

    /// <inheritdoc />
    public override void Set(string key, string? value)
    {
        base.Set(key, value);
        _children = null;
    }

    /// <summary>
    /// The child keys of <paramref name="parentPath"/> in this file, with <paramref name="earlierKeys"/>, sorted as the
    /// base class sorts them. The base class walks every key of the file for each call, and reading a section's children
    /// is one call per section: a hub of 10 000 peers has tens of thousands of keys and reads each peer's children, so
    /// the children of every path are indexed once per load instead.
    /// </summary>
    public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        Dictionary<string, List<string>> index = _children ??= IndexChildren(Data);
        var results = new List<string>(earlierKeys);
        if (index.TryGetValue(parentPath ?? string.Empty, out List<string>? children))
        {
            results.AddRange(children);
        }

        results.Sort(ConfigurationKeyComparer.Instance);
        return results;
    }

    /// <summary>Every path's direct child segments (each once), keyed without regard to case as configuration keys are.</summary>
    internal static Dictionary<string, List<string>> IndexChildren(IDictionary<string, string?> data)
    {
        var index = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Dictionary<string, List<string>>.AlternateLookup<ReadOnlySpan<char>> byParent = index.GetAlternateLookup<ReadOnlySpan<char>>();
        HashSet<string>.AlternateLookup<ReadOnlySpan<char>> bySeen = seen.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (string key in data.Keys)
        {
            // "A:B:C" is the child B of A and C of A:B, and A of the root (""); each prefix is a path seen once.
            int start = 0;
            while (true)
            {
                int colon = key.IndexOf(':', start);
                int end = colon < 0 ? key.Length : colon;
                ReadOnlySpan<char> parent = start == 0 ? [] : key.AsSpan(0, start - 1);
                ReadOnlySpan<char> path = key.AsSpan(0, end);
                if (!bySeen.Contains(path))
                {
                    seen.Add(path.ToString());
                    if (!byParent.TryGetValue(parent, out List<string>? children))
                    {
                        children = [];
                        index.Add(parent.ToString(), children);
                    }

                    children.Add(key[start..end]);
                }

                if (colon < 0)
                {
                    break;
                }

                start = colon + 1;
            }
        }

        return index;
    }
}

/// <summary>A configuration file <see cref="FileTrust"/> refuses; the message names it, says why and how to fix it.</summary>
internal sealed class ConfigurationFileRefusedException : IOException
{
    public ConfigurationFileRefusedException(string message)
        : base(message)
    {
    }
}
