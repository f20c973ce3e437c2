namespace RouterHost.Configuration;

/// <summary>The router's configuration, validated and immutable (one snapshot per load).</summary>
/// <param name="PluginPaths">The folders holding one subfolder per plugin, in search order (configured, drop-in, package).</param>
/// <param name="Pipeline">The stage chain and how batches move.</param>
/// <param name="Interfaces">Interfaces by name, in configuration order.</param>
/// <param name="ShutdownTimeout">How long stopping may take before threads are abandoned.</param>
/// <param name="ControlSocket">The Unix socket <c>routerhost show</c> reads the running router from; null when off.</param>
/// <param name="Prometheus">Where the Prometheus endpoint listens (<c>Metrics:Prometheus</c>); null when off.</param>
internal sealed record RouterOptions(
    IReadOnlyList<Plugins.PluginSearchPath> PluginPaths,
    PipelineOptions Pipeline,
    IReadOnlyList<InterfaceOptions> Interfaces,
    TimeSpan ShutdownTimeout,
    string? ControlSocket = RouterOptionsReader.DefaultControlSocket,
    System.Net.IPEndPoint? Prometheus = null);

/// <summary>The stage chain, inside to outside, and batch sizing.</summary>
/// <param name="BatchSize">Most packets read and processed as one batch.</param>
/// <param name="Stages">The stages, inside (index 0) to outside.</param>
/// <param name="CpuAffinity">The CPU of each lane's thread (lane i: entry i mod count), or null when threads float.</param>
/// <param name="RealtimePriority">The <c>SCHED_FIFO</c> priority of each lane's thread (1..99), or 0: normal scheduling.</param>
internal sealed record PipelineOptions(int BatchSize, IReadOnlyList<StageOptions> Stages, IReadOnlyList<int>? CpuAffinity = null, int RealtimePriority = 0);

/// <summary>One stage of the chain.</summary>
/// <param name="Name">Unique name in the chain (defaults to the type).</param>
/// <param name="Type">The stage plugin's name.</param>
/// <param name="Path">Configuration path of this stage's section, for messages.</param>
internal sealed record StageOptions(string Name, string Type, string Path);

/// <summary>One interface.</summary>
/// <param name="Name">The interface's name (the configuration key).</param>
/// <param name="Backend">The backend plugin's name.</param>
/// <param name="Groups">Groups firewall rules can name.</param>
/// <param name="Path">Configuration path of this interface's section, for messages.</param>
internal sealed record InterfaceOptions(string Name, string Backend, IReadOnlyList<string> Groups, string Path)
{
    /// <summary>
    /// <c>KernelRoutes</c>: true when the peers' prefixes are to become kernel routes on this interface's device, false
    /// when never, null when not said (then the only interface whose device is the host's way in takes them).
    /// </summary>
    public bool? KernelRoutes { get; init; }
}
