namespace RouterHost.Tests.Support;

/// <summary>
/// The plugin an attacker drops (tests/TestPlugins/Evil): its module initializer, static constructor and factory
/// constructor each leave a marker file in <c>evil-markers/</c> beside the plugins folder it was loaded from.
/// </summary>
internal static class EvilPlugin
{
    /// <summary>Every marker, in the order the runtime would leave them.</summary>
    public static readonly string[] AllMarkers = ["module-initializer", "static-constructor", "factory-constructor"];

    /// <summary>The built plugin folder (deployed apart from testplugins/, so only these tests ever find it).</summary>
    public static string BuiltFolder => Path.Combine(AppContext.BaseDirectory, "evilplugins", "Evil");

    /// <summary>The markers left by a copy of the plugin in <c>&lt;root&gt;/&lt;plugins&gt;/Evil</c>, sorted by name.</summary>
    public static string[] MarkersLeft(string root)
    {
        string markers = Path.Combine(root, "evil-markers");
        return Directory.Exists(markers)
            ? [.. Directory.GetFiles(markers).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
            : [];
    }
}
