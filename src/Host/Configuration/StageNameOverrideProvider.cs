using System.Globalization;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.Configuration;

/// <summary>
/// Lets an override layer (environment variables, trailing <c>Key=Value</c> arguments) address a stage by its
/// <c>Name</c> instead of its position: <c>ROUTERHOST__Pipeline__Stages__wg0__Settings__ListenPort=51821</c> sets
/// <c>Pipeline:Stages:N:Settings:ListenPort</c> of the stage named <c>wg0</c> (its <c>Name</c>, or its <c>Type</c> when it
/// has none, compared without regard to case), wherever it sits in the chain. A numeric segment is always a position.
/// <para>
/// It wraps the layer's own provider: keys that name a stage are kept apart and looked up by position at read time,
/// against the stage names the layers below say (files, the defaults) and this layer's own positional keys, so a file
/// that moves the stage and reloads moves the override with it. A name that matches no stage, or more than one, is a
/// problem <see cref="RouterOptionsReader"/> reports at the override's key path, with the stages that exist.
/// </para>
/// </summary>
internal sealed class StageNameOverrideProvider : ConfigurationProvider
{
    private const string StagesPrefix = ConfigurationKeys.Pipeline + ":" + ConfigurationKeys.Stages;

    private readonly IConfigurationProvider _inner;
    private readonly string _origin;
    private Dictionary<string, string?> _named = new(StringComparer.OrdinalIgnoreCase);
    private IReadOnlyList<IConfigurationProvider> _lower = [];

    // The stage names, worked out once per load of any layer: a lookup walks every key of the layers below (a hub's
    // file has tens of thousands), and every key a stage's settings reader asks this layer for needs them.
    private List<(string Index, string Name)>? _stages;

    /// <summary>Wraps <paramref name="inner"/>; <paramref name="origin"/> says where its keys come from, for messages.</summary>
    public StageNameOverrideProvider(IConfigurationProvider inner, string origin)
    {
        _inner = inner;
        _origin = origin;
    }

    /// <summary>The providers below this one (set once the configuration is built), whose stage names it resolves against.</summary>
    public IReadOnlyList<IConfigurationProvider> Lower
    {
        get => _lower;
        set
        {
            _lower = value;
            _stages = null;
            foreach (IConfigurationProvider layer in value)
            {
                // A layer below that reloads by itself (a file watched for changes) may move or rename stages.
                Microsoft.Extensions.Primitives.ChangeToken.OnChange(layer.GetReloadToken, () => _stages = null);
            }
        }
    }

    /// <inheritdoc />
    public override void Load()
    {
        _inner.Load();
        var plain = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var named = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Walk(null, plain, named, 0);
        Data = plain;
        _named = named;
        _stages = null;
    }

    /// <inheritdoc />
    public override bool TryGet(string key, out string? value)
    {
        if (base.TryGet(key, out value))
        {
            return true;
        }

        if (_named.Count > 0 && TrySplit(key, out string stage, out string rest) && IsIndex(stage) && NameAt(stage) is { } name
            && _named.TryGetValue($"{StagesPrefix}:{name}{rest}", out value))
        {
            return true;
        }

        value = null;
        return false;
    }

    /// <inheritdoc />
    public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        IEnumerable<string> keys = base.GetChildKeys(earlierKeys, parentPath);
        if (_named.Count == 0 || parentPath is null || !TrySplit(parentPath + ":", out string stage, out string rest) || !IsIndex(stage) || NameAt(stage) is not { } name)
        {
            return keys;
        }

        // rest is ":Settings:" or ":" for the stage itself: children of that path among the named keys.
        string prefix = $"{StagesPrefix}:{name}{rest}";
        var result = new List<string>(keys);
        foreach (string key in _named.Keys)
        {
            if (key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                string tail = key[prefix.Length..];
                int colon = tail.IndexOf(':', StringComparison.Ordinal);
                result.Add(colon < 0 ? tail : tail[..colon]);
            }
        }

        result.Sort(ConfigurationKeyComparer.Instance);
        return result;
    }

    /// <summary>Every name-addressed key whose name matches no stage, or several: one problem each, at its key path.</summary>
    public IEnumerable<ConfigurationProblem> Problems()
    {
        if (_named.Count == 0)
        {
            yield break;
        }

        List<(string Index, string Name)> stages = Stages();
        string known = stages.Count == 0 ? "there are no stages" : "the stages are " + string.Join(", ", stages.Select(s => $"'{s.Name}' ({s.Index})"));
        var reported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string key in _named.Keys)
        {
            TrySplit(key, out string name, out _);
            if (!reported.Add(name))
            {
                continue;
            }

            var matches = stages.Where(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)).Select(s => s.Index).ToList();
            if (matches.Count == 0)
            {
                yield return new($"{StagesPrefix}:{name}", $"{_origin} names a stage '{name}', but no stage has that Name (or Type, when it has no Name); {known}. Use one of those names, or the stage's position ({StagesPrefix}:N)");
            }
            else if (matches.Count > 1)
            {
                yield return new($"{StagesPrefix}:{name}", $"{_origin} names a stage '{name}', which is the name of stages {string.Join(" and ", matches)}; give them distinct Names, or address one by position ({StagesPrefix}:N)");
            }
        }
    }

    /// <summary>Splits "Pipeline:Stages:SEG:rest" into SEG and ":rest" (":" or longer); false for other keys.</summary>
    private static bool TrySplit(string key, out string stage, out string rest)
    {
        stage = string.Empty;
        rest = string.Empty;
        if (!key.StartsWith(StagesPrefix + ":", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string tail = key[(StagesPrefix.Length + 1)..];
        int colon = tail.IndexOf(':', StringComparison.Ordinal);
        stage = colon < 0 ? tail : tail[..colon];
        rest = colon < 0 ? string.Empty : tail[colon..];
        return stage.Length > 0;
    }

    private static bool IsIndex(string segment) => int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    /// <summary>The name of the stage at <paramref name="index"/>, when exactly one stage has that name.</summary>
    private string? NameAt(string index)
    {
        List<(string Index, string Name)> stages = Stages();
        string? name = stages.FirstOrDefault(s => s.Index == index).Name;
        return name is not null && stages.Count(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) == 1 ? name : null;
    }

    /// <summary>Each stage position with its effective name (Name, else Type), as the layers below and this one's positional keys say.</summary>
    private List<(string Index, string Name)> Stages() => _stages ??= FindStages();

    private List<(string Index, string Name)> FindStages()
    {
        IEnumerable<IConfigurationProvider> layers = [.. Lower, this];
        var indices = new HashSet<string>(StringComparer.Ordinal);
        foreach (IConfigurationProvider layer in layers)
        {
            foreach (string child in layer == this ? base.GetChildKeys([], StagesPrefix) : layer.GetChildKeys([], StagesPrefix))
            {
                if (IsIndex(child))
                {
                    indices.Add(child);
                }
            }
        }

        var result = new List<(string, string)>();
        foreach (string index in indices.OrderBy(i => int.Parse(i, CultureInfo.InvariantCulture)))
        {
            string? name = Last(layers, $"{StagesPrefix}:{index}:{ConfigurationKeys.Name}");
            if (string.IsNullOrEmpty(name))
            {
                name = Last(layers, $"{StagesPrefix}:{index}:{ConfigurationKeys.Type}");
            }

            if (!string.IsNullOrEmpty(name))
            {
                result.Add((index, name));
            }
        }

        return result;
    }

    private string? Last(IEnumerable<IConfigurationProvider> layers, string key)
    {
        string? value = null;
        foreach (IConfigurationProvider layer in layers)
        {
            bool found = layer == this ? base.TryGet(key, out string? v) : layer.TryGet(key, out v);
            if (found)
            {
                value = v;
            }
        }

        return value;
    }

    private void Walk(string? parent, Dictionary<string, string?> plain, Dictionary<string, string?> named, int depth)
    {
        if (depth > 64)
        {
            return;
        }

        foreach (string child in _inner.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            string path = parent is null ? child : $"{parent}:{child}";
            if (_inner.TryGet(path, out string? value))
            {
                bool byName = TrySplit(path, out string stage, out string rest) && rest.Length > 0 && !IsIndex(stage);
                (byName ? named : plain)[path] = value;
            }

            Walk(path, plain, named, depth + 1);
        }
    }
}

/// <summary>Adds an override layer wrapped in a <see cref="StageNameOverrideProvider"/>.</summary>
/// <param name="Inner">The layer's own source (environment variables, command line).</param>
/// <param name="Origin">Where its keys come from, for messages ("an environment variable ROUTERHOST__...").</param>
internal sealed record StageNameOverrideSource(IConfigurationSource Inner, string Origin) : IConfigurationSource
{
    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new StageNameOverrideProvider(Inner.Build(builder), Origin);

    /// <summary>Tells each wrapped layer of <paramref name="root"/> which layers lie below it.</summary>
    public static void Connect(IConfigurationRoot root)
    {
        var below = new List<IConfigurationProvider>();
        foreach (IConfigurationProvider provider in root.Providers)
        {
            if (provider is StageNameOverrideProvider named)
            {
                named.Lower = [.. below];
            }

            below.Add(provider);
        }
    }
}
