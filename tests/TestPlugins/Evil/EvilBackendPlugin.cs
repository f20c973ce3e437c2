using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.Evil;

/// <summary>"Evil": a backend that proves, by the markers it leaves, whether any of its code ran.</summary>
[RouterHostPlugin("Evil", Description = "Leaves a marker for every piece of its code that runs")]
public sealed class EvilBackendPlugin : IBackendPlugin
{
    static EvilBackendPlugin() => EvilMarkers.Leave(EvilMarkers.StaticConstructor);

    public EvilBackendPlugin() => EvilMarkers.Leave(EvilMarkers.FactoryConstructor);

    public BackendCapabilities Capabilities => BackendCapabilities.None;

    public string? UnsupportedReason => null;

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) => [];

    public IContainer Create(BackendContext context) => throw new NotSupportedException("the Evil backend only leaves markers");
}

/// <summary>
/// The markers: files named for the code that ran, in <c>evil-markers/</c> beside the plugins folder the plugin was
/// loaded from (<c>&lt;root&gt;/plugins/Evil/Evil.dll</c> leaves them in <c>&lt;root&gt;/evil-markers/</c>).
/// </summary>
public static class EvilMarkers
{
    public const string ModuleInitializer = "module-initializer";
    public const string StaticConstructor = "static-constructor";
    public const string FactoryConstructor = "factory-constructor";

    /// <summary>Runs when the runtime first touches anything in this assembly.</summary>
    [ModuleInitializer]
    internal static void OnModuleInitialized() => Leave(ModuleInitializer);

    internal static void Leave(string marker)
    {
        string pluginFolder = Path.GetDirectoryName(typeof(EvilMarkers).Assembly.Location)!;
        string markers = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(pluginFolder)!)!, "evil-markers");
        Directory.CreateDirectory(markers);
        File.WriteAllText(Path.Combine(markers, marker), $"{marker} ran in process {Environment.ProcessId}\n");
    }
}
