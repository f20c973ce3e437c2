using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Configuration;
using RouterHost.Plugins;

namespace RouterHost.Pipeline;

/// <summary>
/// The assembled router: ports, the interfaces' containers and the stage chain, built from validated options.
/// Building is all-or-nothing: if any part fails, what was built is released and a
/// <see cref="RouterStartupException"/> names the part, its plugin and the configuration path.
/// </summary>
internal sealed class Router : IDisposable
{
    private bool _disposed;

    private Router(PortRegistry ports, RouterInterface[] interfaces, RouterStage[] stages, int batchSize, IReadOnlyList<int>? cpuAffinity, int realtimePriority)
    {
        RealtimePriority = realtimePriority;
        Ports = ports;
        Interfaces = interfaces;
        Stages = stages;
        BatchSize = batchSize;
        CpuAffinity = cpuAffinity;
    }

    public PortRegistry Ports { get; }

    /// <summary>Interfaces in configuration order; index i has <see cref="PortId.Interface"/>(i).</summary>
    public IReadOnlyList<RouterInterface> Interfaces { get; }

    /// <summary>The chain, inside (0) to outside.</summary>
    public IReadOnlyList<RouterStage> Stages { get; }

    public int BatchSize { get; }

    /// <summary>The peers' kernel routes on the host's device; null when no interface keeps them.</summary>
    public KernelRoutes? KernelRoutes { get; private init; }

    /// <summary>The CPU each runner lane's thread is pinned to (lane i: entry i mod count); null when threads are not pinned.</summary>
    public IReadOnlyList<int>? CpuAffinity { get; }

    /// <summary>The <c>SCHED_FIFO</c> priority each runner lane's thread takes (1..99), or 0: normal scheduling.</summary>
    public int RealtimePriority { get; }

    public static Router Build(RouterOptions options, IConfiguration configuration, PluginCatalog catalog, ILoggerFactory loggerFactory)
    {
        var ports = new PortRegistry();
        var services = new StageServices();
        var stages = new List<RouterStage>();
        var interfaces = new List<RouterInterface>();
        var pending = new List<(InterfaceOptions Options, IBackendPlugin Backend, PluginDescriptor Plugin, PortInfo Port)>();
        try
        {
            foreach (InterfaceOptions iface in options.Interfaces)
            {
                PluginDescriptor plugin = Require(catalog, iface.Backend, PluginKind.Backend, $"{iface.Path}:{ConfigurationKeys.Backend}");
                if (plugin.UnsupportedReason is { } reason)
                {
                    throw new RouterStartupException($"{iface.Path}:{ConfigurationKeys.Backend}: the '{plugin.Name}' backend cannot run on this platform: {reason}");
                }

                PortInfo port = ports.AddInterface(iface.Name, iface.Groups, plugin.Name);
                pending.Add((iface, plugin.Backend!, plugin, port));
            }

            for (int i = 0; i < options.Pipeline.Stages.Count; i++)
            {
                StageOptions stage = options.Pipeline.Stages[i];
                PluginDescriptor plugin = Require(catalog, stage.Type, PluginKind.Stage, $"{stage.Path}:{ConfigurationKeys.Type}");
                var context = new StageContext(stage.Name, configuration.GetSection($"{stage.Path}:{ConfigurationKeys.Settings}"), loggerFactory, ports, i, options.Pipeline.Stages.Count)
                {
                    Services = services,
                    BatchSize = options.Pipeline.BatchSize,
                };
                IStage created = Invoke(() => plugin.Stage!.Create(context), $"{stage.Path}: stage '{stage.Name}' (plugin '{plugin.Name}' from {plugin.Source}) could not be created");
                stages.Add(new RouterStage(stage.Name, plugin.Name, created));
            }

            foreach (var (iface, backend, plugin, port) in pending)
            {
                var context = new BackendContext(iface.Name, configuration.GetSection($"{iface.Path}:{ConfigurationKeys.Settings}"), loggerFactory, Environment.ProcessorCount, options.Pipeline.BatchSize)
                {
                    Services = services,
                };
                IContainer container = Invoke(() => backend.Create(context), $"{iface.Path}: interface '{iface.Name}' (backend '{plugin.Name}' from {plugin.Source}) could not be created");
                interfaces.Add(new RouterInterface(iface.Name, port, plugin.Name, container));
                if (container is IInterfaceLinkProvider provider)
                {
                    // Before any stage starts, so the routing stage sees the addresses (connected routes) and MTUs.
                    InterfaceLink link = Invoke(() => provider.Link, $"{iface.Path}: interface '{iface.Name}' (backend '{plugin.Name}') could not describe its link");
                    interfaces[^1] = interfaces[^1] with { Port = ports.SetInterfaceLink(port.Id, link) };
                }

                if (container.Queues.Count == 0)
                {
                    throw new RouterStartupException($"{iface.Path}: interface '{iface.Name}' (backend '{plugin.Name}') has no queues");
                }
            }

            foreach (RouterStage stage in stages)
            {
                Invoke<object?>(() => { stage.Stage.Start(ports); return null; }, $"stage '{stage.Name}' (plugin '{stage.Type}') could not start");
            }

            // Every peer is known now; the containers remove these routes (and rules) when they close.
            KernelRoutes? kernelRoutes = KernelRoutes.Start(options.Interfaces, interfaces, stages, ports, loggerFactory);
            return new Router(ports, [.. interfaces], [.. stages], options.Pipeline.BatchSize, options.Pipeline.CpuAffinity, options.Pipeline.RealtimePriority) { KernelRoutes = kernelRoutes };
        }
        catch
        {
            Release(interfaces, stages);
            throw;
        }
    }

    /// <summary>Releases stages, then containers (in configuration order). Threads must be gone.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        KernelRoutes?.Dispose();
        Release(Interfaces, Stages);
    }

    /// <summary>Peers from which on the memory reading a configuration took is handed back at start.</summary>
    internal const int LargePeerSet = 256;

    /// <summary>
    /// A configuration of many peers (a hub) leaves tens of megabytes of garbage from reading and checking it, which the
    /// collector would keep committed while the router sits idle: one compacting collection that decommits what it
    /// frees hands it back to the system once the router is up (a few milliseconds per thousand peers, once). Called by
    /// the host when everything that reads the configuration at start (the router, the reload watcher, the control
    /// socket) is built, so their garbage goes too.
    /// </summary>
    internal void ReturnStartGarbage()
    {
        int peers = 0;
        foreach (PortInfo port in Ports.Ports)
        {
            peers += port.Id.Kind == PortKind.Peer ? 1 : 0;
        }

        if (peers >= LargePeerSet)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }

    private static void Release(IReadOnlyList<RouterInterface> interfaces, IReadOnlyList<RouterStage> stages)
    {
        List<Exception>? errors = null;
        for (int i = stages.Count - 1; i >= 0; i--)
        {
            try
            {
                stages[i].Stage.Dispose();
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(new InvalidOperationException($"stage '{stages[i].Name}' failed to dispose: {ex.Message}", ex));
            }
        }

        foreach (RouterInterface iface in interfaces)
        {
            try
            {
                iface.Container.Close();
                iface.Container.Dispose();
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(new InvalidOperationException($"interface '{iface.Name}' failed to close: {ex.Message}", ex));
            }
        }

        if (errors is not null)
        {
            throw new AggregateException("Releasing the router failed.", errors);
        }
    }

    private static PluginDescriptor Require(PluginCatalog catalog, string name, PluginKind kind, string keyPath)
    {
        PluginDescriptor? plugin = catalog.Find(name, kind);
        string kindName = kind.ToString().ToLowerInvariant();
        if (plugin is null)
        {
            throw new RouterStartupException($"{keyPath}: no {kindName} plugin named '{name}' (known: {catalog.KnownNames(kind)})");
        }

        if (!plugin.IsUsable)
        {
            throw new RouterStartupException($"{keyPath}: the {kindName} plugin '{plugin.Name}' from {plugin.Source} cannot be used: {plugin.Error}");
        }

        return plugin;
    }

    private static T Invoke<T>(Func<T> action, string what)
    {
        try
        {
            return action();
        }
        catch (RouterStartupException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new RouterStartupException($"{what}: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }
}
