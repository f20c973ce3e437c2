using RouterHost.Fuzz.Targets;

namespace RouterHost.Fuzz;

/// <summary>Every fuzz target by name, most important first (the order <c>scripts/fuzz all</c> runs them in).</summary>
internal static class FuzzTargets
{
    private static readonly (string Name, Func<IFuzzTarget> Create)[] s_targets =
    [
        (WireGuardTarget.TargetName, static () => new WireGuardTarget()),
        (IpTarget.TargetName, static () => new IpTarget()),
        (VirtioTarget.TargetName, static () => new VirtioTarget()),
        (GroTarget.TargetName, static () => new GroTarget()),
        (NetlinkTarget.TargetName, static () => new NetlinkTarget()),
        (EthernetTarget.TargetName, static () => new EthernetTarget()),
        (ConfigTarget.TargetName, static () => new ConfigTarget()),
        (TextTarget.TargetName, static () => new TextTarget()),
        (UapiTarget.TargetName, static () => new UapiTarget()),
        (WgQuickTarget.TargetName, static () => new WgQuickTarget()),
        (PluginRuntimeConfigTarget.TargetName, static () => new PluginRuntimeConfigTarget()),
        (AeadTarget.TargetName, static () => new AeadTarget()),
    ];

    /// <summary>The names, in campaign order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. s_targets.Select(t => t.Name)];

    /// <summary>Creates the target named <paramref name="name"/> (its set-up runs now), or null when there is none.</summary>
    public static IFuzzTarget? Create(string name)
    {
        foreach ((string targetName, Func<IFuzzTarget> create) in s_targets)
        {
            if (string.Equals(targetName, name, StringComparison.Ordinal))
            {
                return create();
            }
        }

        return null;
    }
}
