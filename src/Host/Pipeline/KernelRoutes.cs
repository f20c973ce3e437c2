using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Abstractions.Tunnels;
using RouterHost.Configuration;

namespace RouterHost.Pipeline;

/// <summary>
/// The peers' prefixes (WireGuard's AllowedIPs) as kernel routes on the device through which the host's own stack
/// reaches the router, as wg-quick adds them: one interface's container (<see cref="IHostRouteTarget"/>, a LinuxTun)
/// keeps them. A full tunnel (a peer with <c>0.0.0.0/0</c> or <c>::/0</c>) gets its underlay sockets marked
/// (<see cref="IUnderlayMarking"/>) and its default route in a table of that number behind wg-quick's policy rules.
/// <see cref="Apply"/> computes the whole set from the port registry and hands it over; it runs at start and again
/// whenever the registry's peers change (<see cref="PortRegistry.PeersChanged"/>), so the kernel follows peers that are
/// added or removed while the router runs. The container removes what it added when it closes.
/// </summary>
internal sealed partial class KernelRoutes : IDisposable
{
    private readonly PortRegistry _ports;
    private readonly IReadOnlyList<RouterStage> _stages;
    private readonly IHostRouteTarget _target;
    private readonly string _interface;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private bool _disposed;

    private KernelRoutes(PortRegistry ports, IReadOnlyList<RouterStage> stages, IHostRouteTarget target, string @interface, ILogger logger)
    {
        _ports = ports;
        _stages = stages;
        _target = target;
        _interface = @interface;
        _logger = logger;
    }

    /// <summary>The interface that keeps the routes.</summary>
    public string Interface => _interface;

    /// <summary>The prefixes last handed to the device, and the full tunnel's mark (0: none).</summary>
    public HostRoutes Current { get; private set; } = HostRoutes.None;

    /// <summary>
    /// Chooses the interface (see <see cref="Choose"/>), applies the peers' routes once and follows the registry; null
    /// when no interface takes them (said in the log). Throws <see cref="RouterStartupException"/> when the kernel
    /// refuses (the errno and the fix are in the message).
    /// </summary>
    public static KernelRoutes? Start(IReadOnlyList<InterfaceOptions> options, IReadOnlyList<RouterInterface> interfaces, IReadOnlyList<RouterStage> stages, PortRegistry ports, ILoggerFactory loggerFactory)
    {
        ILogger logger = loggerFactory.CreateLogger<KernelRoutes>();
        var candidates = new List<(string Name, bool? Setting, bool Capable)>();
        foreach (RouterInterface iface in interfaces)
        {
            bool? setting = options.FirstOrDefault(o => o.Name == iface.Name)?.KernelRoutes;
            candidates.Add((iface.Name, setting, iface.Container is IHostRouteTarget));
        }

        KernelRouteChoice choice = Choose(candidates);
        if (choice.Error is { } error)
        {
            throw new RouterStartupException(error);
        }

        if (choice.Interface is null)
        {
            if (choice.Ambiguous is { } ambiguous && HasPeerPrefixes(ports))
            {
                Log.Ambiguous(logger, ambiguous);
            }

            return null;
        }

        RouterInterface chosen = interfaces.First(i => i.Name == choice.Interface);
        var routes = new KernelRoutes(ports, stages, (IHostRouteTarget)chosen.Container, chosen.Name, logger);
        try
        {
            routes.Apply();
        }
        catch (Exception ex) when (ex is not RouterStartupException)
        {
            throw new RouterStartupException($"{chosen.Port.Name}: the peers' AllowedIPs could not become kernel routes on {routes._target.HostRouteDevice}: {ex.Message}"
                + $" (set Interfaces:{chosen.Name}:{ConfigurationKeys.KernelRoutes} to false to run without them)", ex);
        }

        ports.PeersChanged += routes.OnPeersChanged;
        return routes;
    }

    /// <summary>
    /// Which interface keeps the kernel routes: the one whose <c>KernelRoutes</c> is true; else the only one whose
    /// device is the host's way in (<paramref name="candidates"/>' Capable) and not set to false; else none, with the
    /// reason when there are several to choose from. Two set to true, or one set to true that cannot keep them, is an error.
    /// </summary>
    public static KernelRouteChoice Choose(IReadOnlyList<(string Name, bool? Setting, bool Capable)> candidates)
    {
        var explicitOn = candidates.Where(c => c.Setting == true).ToList();
        if (explicitOn.Count > 1)
        {
            return new(null, null, $"Interfaces:{explicitOn[1].Name}:{ConfigurationKeys.KernelRoutes}: only one interface keeps the peers' kernel routes, and interface '{explicitOn[0].Name}' already does; set it on one of them ({string.Join(", ", explicitOn.Select(c => c.Name))})");
        }

        if (explicitOn.Count == 1)
        {
            return explicitOn[0].Capable
                ? new(explicitOn[0].Name, null, null)
                : new(null, null, $"Interfaces:{explicitOn[0].Name}:{ConfigurationKeys.KernelRoutes}: interface '{explicitOn[0].Name}''s backend cannot keep kernel routes (only a device through which the host's own stack reaches the router can, a LinuxTun); remove the setting or name a LinuxTun interface");
        }

        var able = candidates.Where(c => c.Capable && c.Setting != false).ToList();
        return able.Count switch
        {
            1 => new(able[0].Name, null, null),
            0 => new(null, null, null),
            _ => new(null, $"interfaces {string.Join(", ", able.Select(c => $"'{c.Name}'"))} could each keep the peers' AllowedIPs as kernel routes, so none does: set \"{ConfigurationKeys.KernelRoutes}\": true on the one the host reaches the peers through (or false on the others)", null),
        };
    }

    /// <summary>
    /// Hands the device the peers' prefixes as they are now; a full tunnel's mark is taken from its stage (chosen there
    /// when none is configured). Safe to call from any control-plane thread; a second call with the same peers changes nothing.
    /// </summary>
    public void Apply()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var prefixes = new List<IPNetwork>();
            var listed = new HashSet<IPNetwork>(); // a hub's thousands of peers: one lookup each, not a scan of the list
            uint mark = 0;
            foreach (PortInfo port in _ports.Ports)
            {
                if (port.Id.Kind != PortKind.Peer)
                {
                    continue;
                }

                foreach (IPNetwork prefix in port.Prefixes)
                {
                    if (prefix.PrefixLength == 0)
                    {
                        uint stageMark = MarkFor(port);
                        if (stageMark == 0)
                        {
                            continue;
                        }

                        if (mark != 0 && stageMark != mark)
                        {
                            Log.TwoMarks(_logger, port.Name, prefix.ToString(), stageMark, mark);
                            continue;
                        }

                        mark = stageMark;
                    }

                    if (listed.Add(prefix))
                    {
                        prefixes.Add(prefix);
                    }
                }
            }

            var routes = new HostRoutes(prefixes, mark);
            _target.SetHostRoutes(routes);
            Current = routes;
            Log.Applied(_logger, prefixes.Count, _interface, _target.HostRouteDevice, mark == 0 ? "no full tunnel" : $"full tunnel: default route in table {mark}, sockets marked {mark}");
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        _ports.PeersChanged -= OnPeersChanged;
    }

    private static bool HasPeerPrefixes(PortRegistry ports) => ports.Ports.Any(p => p.Id.Kind == PortKind.Peer && p.Prefixes.Count > 0);

    private uint MarkFor(PortInfo peer)
    {
        IStage? owner = _stages.FirstOrDefault(s => s.Name == peer.Owner)?.Stage;
        if (owner is IUnderlayMarking marking)
        {
            return marking.EnsureFirewallMark();
        }

        Log.CannotMark(_logger, peer.Name, peer.Owner);
        return 0;
    }

    private void OnPeersChanged()
    {
        try
        {
            Apply();
        }
        catch (Exception ex)
        {
            Log.ReapplyFailed(_logger, ex, _target.HostRouteDevice);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Kernel routes: {Count} peer prefix(es) routed into interface '{Interface}' ({Device}); {FullTunnel}")]
        public static partial void Applied(ILogger logger, int count, string @interface, string device, string fullTunnel);

        [LoggerMessage(EventId = 51, Level = LogLevel.Warning, Message = "Kernel routes: {Reason}")]
        public static partial void Ambiguous(ILogger logger, string reason);

        [LoggerMessage(EventId = 52, Level = LogLevel.Warning, Message = "Kernel routes: peer '{Peer}' allows a default route, but its stage '{Stage}' cannot mark its underlay sockets, so a kernel default route would capture the tunnel's own traffic: not installed (route the host's traffic yourself, or use a stage that can)")]
        public static partial void CannotMark(ILogger logger, string peer, string stage);

        [LoggerMessage(EventId = 53, Level = LogLevel.Warning, Message = "Kernel routes: peer '{Peer}''s {Prefix} comes from a tunnel whose sockets are marked {Mark}, but the full tunnel already uses mark {Used}: not installed (one full tunnel per router; give both stages the same FwMark)")]
        public static partial void TwoMarks(ILogger logger, string peer, string prefix, uint mark, uint used);

        [LoggerMessage(EventId = 54, Level = LogLevel.Error, Message = "Kernel routes: the peers changed, but {Device} could not follow; its routes are those of the last change that applied")]
        public static partial void ReapplyFailed(ILogger logger, Exception exception, string device);
    }
}

/// <summary>What <see cref="KernelRoutes.Choose"/> decided.</summary>
/// <param name="Interface">The interface that keeps the kernel routes; null when none does.</param>
/// <param name="Ambiguous">Why none does although several could (a warning to give), or null.</param>
/// <param name="Error">A configuration error (key path first), or null.</param>
internal sealed record KernelRouteChoice(string? Interface, string? Ambiguous, string? Error);
