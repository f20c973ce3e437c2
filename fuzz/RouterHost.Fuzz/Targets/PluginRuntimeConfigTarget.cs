using System.Text;
using RouterHost.Plugins;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// A plugin's <c>runtimeconfig.json</c> as discovery reads it before loading anything of the plugin
/// (<see cref="PluginRuntimeConfig.ProbingPaths"/>: the probing paths that refuse the plugin folder). Invariants: the
/// same bytes give the same paths, and a path is there only when the text names <c>additionalProbingPaths</c>.
/// </summary>
internal sealed class PluginRuntimeConfigTarget : IFuzzTarget
{
    public const string TargetName = "runtimeconfig";

    public string Name => TargetName;

    public string Description => "a plugin's runtimeconfig.json: the additionalProbingPaths that refuse its folder before loading";

    public void Run(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        List<string> paths = PluginRuntimeConfig.ProbingPaths(bytes);
        List<string> again = PluginRuntimeConfig.ProbingPaths(bytes);
        InvariantViolationException.Check(paths.SequenceEqual(again), "the same bytes give the same probing paths");
        InvariantViolationException.Check(
            paths.Count == 0 || Encoding.UTF8.GetString(bytes).Contains("additionalProbingPaths", StringComparison.OrdinalIgnoreCase) || bytes.Contains((byte)'\\'),
            "probing paths come only from an additionalProbingPaths member");
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        yield return new("plain", """{ "runtimeOptions": { "tfm": "net10.0", "framework": { "name": "Microsoft.NETCore.App", "version": "10.0.0" } } }"""u8.ToArray());
        yield return new("probing", """{ "runtimeOptions": { "tfm": "net10.0", "additionalProbingPaths": [ "/root/.nuget/packages", "/tmp/x" ] } }"""u8.ToArray());
    }
}
