using System.Globalization;
using System.Net;

namespace RouterHost.HandshakeStorm;

/// <summary>The command line: a command, then <c>--name value</c> pairs.</summary>
internal sealed class Options
{
    public const string Usage = """
        Usage: HandshakeStorm generate --peers N --dir DIR
               HandshakeStorm run --dir DIR --hub ADDRESS:PORT [--bind ADDRESS] [--peers N] [--timeout SECONDS]
        generate: a hub key (DIR/hub.key, hub.pub), N peer keys (DIR/peers.keys) and the hub's "Peers" object (DIR/peers.json).
        run: the first N peers of DIR (default: all) initiate to the hub at once, each from its own UDP port on --bind
             (default 127.0.0.1); they retry after 5 s, use cookies as wireguard-go does, and end each handshake with a
             keepalive. Prints the time from the first initiation to the last completed handshake, and the counts.
        """;

    public string Command { get; private init; } = string.Empty;

    public int Peers { get; private init; }

    public string Directory { get; private init; } = string.Empty;

    public IPEndPoint? Hub { get; private init; }

    public IPAddress Bind { get; private init; } = IPAddress.Loopback;

    public int TimeoutSeconds { get; private init; } = 30;

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

        return new Options
        {
            Command = command,
            Directory = directory,
            Peers = peers,
            Hub = hub,
            Bind = bind,
            TimeoutSeconds = values.TryGetValue("timeout", out string? t) ? Number(t, "--timeout", 1, 3600) : 30,
        };
    }

    private static int Number(string text, string name, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{name} '{text}' must be a whole number from {min} to {max}");
}
