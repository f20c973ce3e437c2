using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using RouterHost.Linux;
using RouterHost.Underlay;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The stage's UDP sockets: opened at start, the socket a lane sends on, their firewall mark (wireguard-go's fwmark),
/// kept as one immutable set, and moving them to another listen port while the router runs (as
/// wireguard-go's BindUpdate does): the new sockets are opened first (a port that cannot be had refuses the change and
/// nothing moves), each source queue is moved to its new socket, the set is swapped and its generation bumped (every
/// lane moves its senders at its next batch; the handshake thread at its next round), peers' cached source addresses
/// are cleared, and the old sockets are closed after the grace period. Sessions stay: a peer learns the new port from
/// the next authenticated packet we send it.
/// </summary>
internal sealed partial class WireGuardStage
{
    private readonly Lock _markLock = new();
    private SocketSet _socketSet = SocketSet.Empty;
    private uint _firewallMark;
    private bool _markClaimed;

    /// <summary>The sockets now (read once by each lane per batch through <see cref="SocketGeneration"/>).</summary>
    internal SocketSet Sockets => Volatile.Read(ref _socketSet);

    /// <summary>Bumped when the sockets are replaced; a lane that sees a new value moves its senders.</summary>
    public int SocketGeneration => Volatile.Read(ref _socketSet).Generation;

    /// <summary>The socket of one family a lane sends on (lanes spread over the sockets), or null when none.</summary>
    public UdpSocket? SocketFor(int lane, bool ipv6)
    {
        SocketSet set = Sockets;
        UdpSocket[] sockets = ipv6 ? set.V6 : set.V4;
        return sockets.Length == 0 ? null : sockets[lane % sockets.Length];
    }

    /// <inheritdoc />
    public uint FirewallMark => Volatile.Read(ref _firewallMark);

    /// <inheritdoc />
    public uint EnsureFirewallMark()
    {
        lock (_markLock)
        {
            _markClaimed = true;
            if (_firewallMark != 0)
            {
                return _firewallMark;
            }

            // As wg-quick numbers a full tunnel's table 51820: the listen port is this router's alone, so is the mark.
            uint mark = (uint)ListenPort;
            foreach (UdpSocket socket in Sockets.All)
            {
                socket.SetFirewallMark(mark);
            }

            Volatile.Write(ref _firewallMark, mark);
            Log.FirewallMarkChosen(_logger, Name, mark);
            return mark;
        }
    }

    /// <summary>
    /// Marks the running sockets (and those a rebind opens) with <paramref name="mark"/> (0: none), as wireguard-go's
    /// fwmark. Refused while a full tunnel routes by the current mark: the kernel's policy rules were installed with it
    /// (see KernelRoutes), and sockets marked otherwise would have their own underlay traffic routed into the tunnel.
    /// </summary>
    internal bool TrySetFirewallMark(uint mark, out string? problem)
    {
        lock (_markLock)
        {
            problem = null;
            uint old = _firewallMark;
            if (mark == old)
            {
                return true;
            }

            if (_markClaimed && old != 0 && Peers.Any(p => p.Configuration.AllowedIPs.Any(a => a.EndsWith("/0", StringComparison.Ordinal))))
            {
                problem = $"the full tunnel's kernel policy rules route by the sockets' mark {old}, and a changed mark would send the tunnel's own UDP into the tunnel; remove the peer whose allowed IPs hold a default route first, or set FwMark in the file and restart";
                return false;
            }

            UdpSocket[] sockets = Sockets.All;
            for (int i = 0; i < sockets.Length; i++)
            {
                try
                {
                    sockets[i].SetFirewallMark(mark);
                }
                catch (LinuxException ex)
                {
                    for (int j = 0; j < i; j++)
                    {
                        sockets[j].SetFirewallMark(old);
                    }

                    problem = ex.Message;
                    return false;
                }
            }

            Volatile.Write(ref _firewallMark, mark);
            return true;
        }
    }

    private void OpenSockets(string settingsPath)
    {
        _firewallMark = _settings.FwMark;
        SocketSet set = OpenSocketSet(_settings.ListenPort, settingsPath);
        Volatile.Write(ref _socketSet, set);
        foreach (UdpSocket socket in set.All)
        {
            _sources.Add(new UdpReceiveQueue(socket, _sources.Count, BatchSize, ReceiveHeadroom, ReceiveTailroom));
        }

        var stagedReady = new ConcurrentQueue<WireGuardPeer>[Math.Max(1, _sources.Count)];
        for (int i = 0; i < stagedReady.Length; i++)
        {
            stagedReady[i] = new ConcurrentQueue<WireGuardPeer>();
        }

        _stagedReady = stagedReady;

        ListenPort = set.Port;
    }

    /// <summary>
    /// Opens the sockets on <paramref name="port"/> for every listen address, as at start. Throws with the address and
    /// key path when one cannot be had.
    /// </summary>
    private SocketSet OpenSocketSet(int port, string settingsPath, int generation = 0)
    {
        var all = new List<UdpSocket>();
        try
        {
            foreach (IPAddress address in _settings.ListenAddresses)
            {
                UdpSocket[] group;
                try
                {
                    // One group per address: this process alone receives on the port (see UdpSocket.OpenGroup).
                    group = UdpSocket.OpenGroup(new UdpSocketOptions(address, (ushort)port)
                    {
                        ReceiveBufferBytes = _settings.ReceiveBufferBytes,
                        SendBufferBytes = _settings.SendBufferBytes,
                        Gso = _settings.Gso,
                        Gro = _settings.Gro,
                        V6Only = true,
                        NetworkNamespace = _settings.Namespace,
                        FirewallMark = Volatile.Read(ref _firewallMark),
                    }, _settings.Sockets, _logger);
                }
                catch (LinuxException ex) when (!_settings.ListenAddressesConfigured && address.AddressFamily == AddressFamily.InterNetworkV6 && ex.ErrorNumber != Errno.EADDRINUSE)
                {
                    // The default listens on both families; a host without IPv6 still gets IPv4.
                    Log.NoIPv6(_logger, Name, ex.Message);
                    continue;
                }
                catch (LinuxException ex)
                {
                    string key = ex.ErrorNumber == Errno.EADDRINUSE ? $" (set by {settingsPath}:ListenPort)" : string.Empty;
                    throw new InvalidOperationException($"stage '{Name}': cannot listen on {(address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString())}:{port}{key}: {ex.Message}", ex);
                }

                all.AddRange(group);
                foreach (UdpSocket socket in group)
                {
                    port = socket.LocalEndpoint.Port; // 0 asked: every address gets the port the first one got
                }
            }

            return new SocketSet([.. all], port, generation);
        }
        catch
        {
            foreach (UdpSocket socket in all)
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Moves every socket to <paramref name="port"/> (a reload changed <c>ListenPort</c>). False with the reason when the
    /// port cannot be had or the new sockets do not line up with the running ones; then nothing changed.
    /// </summary>
    private bool TryRebind(int port, string settingsPath, out string? problem)
    {
        SocketSet old = Sockets;
        SocketSet next;
        try
        {
            next = OpenSocketSet(port, settingsPath, old.Generation + 1);
        }
        catch (InvalidOperationException ex)
        {
            problem = ex.Message;
            return false;
        }

        if (next.All.Length != old.All.Length || !next.All.Select(s => s.IsIPv6).SequenceEqual(old.All.Select(s => s.IsIPv6)))
        {
            next.Dispose();
            problem = $"the new port gave {next.All.Length} sockets where {old.All.Length} run; restart the router to change the port";
            return false;
        }

        for (int i = 0; i < _sources.Count; i++)
        {
            _sources[i].Rebind(next.All[i]);
        }

        Volatile.Write(ref _socketSet, next);
        ListenPort = next.Port;

        // As wireguard-go's BindUpdate: the local addresses peers were last reached on are forgotten.
        foreach (WireGuardPeer peer in Peers)
        {
            if (peer.Endpoint is { } endpoint && !endpoint.Local.IsNone)
            {
                peer.SetEndpoint(new PeerEndpoint(endpoint.Remote, UdpEndpoint.None));
            }
        }

        HandshakeLoop loop = _loop!;
        loop.Post(now => loop.DisposeLater(old, now));
        loop.Wake();
        Log.Rebound(_logger, Name, next.Port);
        problem = null;
        return true;
    }

    /// <summary>The sockets of one generation: all of them, and by family (lanes spread over them).</summary>
    internal sealed class SocketSet : IDisposable
    {
        public static readonly SocketSet Empty = new([], 0, 0);

        public SocketSet(UdpSocket[] all, int port, int generation)
        {
            All = all;
            V4 = [.. all.Where(s => !s.IsIPv6)];
            V6 = [.. all.Where(s => s.IsIPv6)];
            Port = port;
            Generation = generation;
        }

        public UdpSocket[] All { get; }

        public UdpSocket[] V4 { get; }

        public UdpSocket[] V6 { get; }

        public int Port { get; }

        public int Generation { get; }

        public void Dispose()
        {
            foreach (UdpSocket socket in All)
            {
                socket.Dispose();
            }
        }
    }
}
