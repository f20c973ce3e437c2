using System.Globalization;
using System.Net;

namespace RouterHost.HandshakeStorm;

/// <summary>The command line: a command, then <c>--name value</c> pairs.</summary>
internal sealed class Options
{
    public const string Usage = """
        Usage: HandshakeStorm generate --peers N --dir DIR
               HandshakeStorm run --dir DIR --hub ADDRESS:PORT [--bind ADDRESS] [--peers N] [--timeout SECONDS]
                                  [--data-seconds S --data-to ADDRESS:PORT [--data-size BYTES]]
        generate: a hub key (DIR/hub.key, hub.pub), N peer keys (DIR/peers.keys) and the hub's "Peers" object (DIR/peers.json).
        run: the first N peers of DIR (default: all) initiate to the hub at once, each from its own UDP port on --bind
             (default 127.0.0.1); they retry after 5 s, use cookies as wireguard-go does, and end each handshake with a
             keepalive. Prints the time from the first initiation to the last completed handshake, and the counts.
             With --data-seconds, once every peer has its session the peers then send data for S seconds: one thread,
             round robin over the peers (datagram k from peer k % N), each an IPv4/UDP packet of --data-size bytes
             (default 1400) from the peer's overlay address to --data-to, sealed on the peer's session and sent from
             its own socket with one sendto each, as fast as the thread can; prints data_sent= and data_bytes= too.
        """;

    public string Command { get; private init; } = string.Empty;

    public int Peers { get; private init; }

    public string Directory { get; private init; } = string.Empty;

    public IPEndPoint? Hub { get; private init; }

    public IPAddress Bind { get; private init; } = IPAddress.Loopback;

    public int TimeoutSeconds { get; private init; } = 30;

    /// <summary>Seconds of data after the handshakes (0: none).</summary>
    public int DataSeconds { get; private init; }

    /// <summary>Where the data's inner packets go (an overlay address and UDP port at the hub's side).</summary>
    public IPEndPoint? DataTo { get; private init; }

    /// <summary>The inner IPv4 packet's length in bytes.</summary>
    public int DataSize { get; private init; } = 1400;

    public static Options Parse(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("a command is needed (generate or run)");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"'{args[i]}' at argument {i + 1}: expected --name value");
            }

            values[args[i][2..]] = args[i + 1];
        }

        string command = args[0];
        string directory = values.TryGetValue("dir", out string? dir) ? dir : throw new ArgumentException("--dir is needed");
        int peers = values.TryGetValue("peers", out string? n) ? Number(n, "--peers", 1, 1_000_000) : command == "generate" ? throw new ArgumentException("--peers is needed") : 0;
        IPEndPoint? hub = null;
        if (command == "run")
        {
            hub = values.TryGetValue("hub", out string? h) && IPEndPoint.TryParse(h, out IPEndPoint? parsed) && parsed.Port != 0
                ? parsed
                : throw new ArgumentException("--hub ADDRESS:PORT is needed (as 127.0.0.1:51820)");
        }

        IPAddress bind = IPAddress.Loopback;
        if (values.TryGetValue("bind", out string? b) && !IPAddress.TryParse(b, out bind!))
        {
            throw new ArgumentException($"--bind '{b}' is not an IP address");
        }

        int dataSeconds = values.TryGetValue("data-seconds", out string? ds) ? Number(ds, "--data-seconds", 1, 3600) : 0;
        IPEndPoint? dataTo = null;
        if (dataSeconds > 0)
        {
            dataTo = values.TryGetValue("data-to", out string? dt) && IPEndPoint.TryParse(dt, out IPEndPoint? to) && to.Port != 0
                && to.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                ? to
                : throw new ArgumentException("--data-seconds needs --data-to IPV4-ADDRESS:PORT (as 10.200.0.1:5201)");
        }

        return new Options
        {
            Command = command,
            Directory = directory,
            Peers = peers,
            Hub = hub,
            Bind = bind,
            TimeoutSeconds = values.TryGetValue("timeout", out string? t) ? Number(t, "--timeout", 1, 3600) : 30,
            DataSeconds = dataSeconds,
            DataTo = dataTo,
            DataSize = values.TryGetValue("data-size", out string? size) ? Number(size, "--data-size", 28, 1440) : 1400,
        };
    }

    private static int Number(string text, string name, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} '{text}' must be a whole number from {min} to {max}");
}
