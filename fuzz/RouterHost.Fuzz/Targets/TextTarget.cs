using System.Net;
using RouterHost.Firewall;
using RouterHost.Routing;
using RouterHost.Settings;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// The text a user writes into settings and key files, as UTF-8: WireGuard keys (base64, as key files and
/// <c>PublicKey</c> hold them), endpoints (<c>address:port</c>), "address/prefix" (interfaces, routes, firewall rules),
/// durations, and systemd's <c>$WATCHDOG_USEC</c> / <c>$WATCHDOG_PID</c>. The first byte picks the parser, the rest is the text. Invariants: what parses formats back to
/// itself (keys: exactly the trimmed text; endpoints: a text that parses to the same endpoint), and the config-time
/// parsers that throw throw only the <see cref="FormatException"/> / <see cref="ArgumentException"/> their callers turn
/// into problems.
/// </summary>
internal sealed class TextTarget : IFuzzTarget
{
    public const string TargetName = "text";

    private readonly byte[] _key = new byte[WireGuardKey.Size];

    public string Name => TargetName;

    public string Description => "key text (base64 keys), endpoints, address/prefix and durations as written in settings; systemd's WATCHDOG_USEC/WATCHDOG_PID";

    public void Run(ReadOnlySpan<byte> input)
    {
        FuzzInput.Split(input, out byte control, out ReadOnlySpan<byte> rest);
        string text = System.Text.Encoding.UTF8.GetString(rest);
        switch (control % 6)
        {
            case 0:
                if (WireGuardKey.TryParse(text, _key, out string? problem))
                {
                    InvariantViolationException.Check(WireGuardKey.Format(_key) == text.Trim(), "a key that parses formats back to its text");
                }
                else
                {
                    InvariantViolationException.Check(problem is { Length: > 0 }, "a refused key says why");
                }

                break;

            case 1:
                if (UdpEndpoint.TryParse(text, out UdpEndpoint endpoint, out string? why))
                {
                    InvariantViolationException.Check(UdpEndpoint.TryParse(endpoint.ToString(), out UdpEndpoint again, out _) && again == endpoint, "an endpoint formats to a text that parses to the same endpoint");
                }
                else
                {
                    InvariantViolationException.Check(why is { Length: > 0 }, "a refused endpoint says why");
                }

                break;

            case 2:
                if (AddressPrefixText.TryParse(text, out IPAddress? address, out int prefix))
                {
                    int max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
                    InvariantViolationException.Check(prefix >= 0 && prefix <= max, "a prefix length is within its family's width");
                    AddressPrefixText.Network(address, prefix);
                }

                break;

            case 3:
                try
                {
                    IpPrefix.Parse(text);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException)
                {
                    // What RoutingSettings turns into a problem at the route's key path.
                }

                try
                {
                    IpPrefix.ParseContaining(text);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException)
                {
                    // What FirewallSettings turns into a problem at the rule's key path.
                }

                break;

            case 5:
                // systemd's $WATCHDOG_USEC and $WATCHDOG_PID, the text before and after the first newline.
                int split = text.IndexOf('\n', StringComparison.Ordinal);
                string usec = split < 0 ? text : text[..split];
                string? pid = split < 0 ? null : text[(split + 1)..];
                if (RouterHost.Hosting.SystemdWatchdog.Period(usec, pid, ownPid: 4242) is { } period)
                {
                    InvariantViolationException.Check(period > TimeSpan.Zero, "a watchdog period is positive");
                    InvariantViolationException.Check(
                        ulong.TryParse(usec, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong microseconds)
                        && (ulong)(period.Ticks / 10) == microseconds,
                        "a watchdog period is the microseconds the variable gives");
                    TimeSpan interval = RouterHost.Hosting.SystemdWatchdog.Interval(period);
                    InvariantViolationException.Check(
                        interval > TimeSpan.Zero && interval <= period && interval <= RouterHost.Hosting.SystemdWatchdog.LongestInterval,
                        "the ping interval is positive, within the period and within what a timer waits");
                    InvariantViolationException.Check(string.IsNullOrEmpty(pid) || pid == "4242", "a period is taken only when the variable names this process or none");
                }

                break;

            default:
                if (SettingsReader.TryParseDuration(text, out TimeSpan duration))
                {
                    InvariantViolationException.Check(duration >= TimeSpan.Zero, "a duration is not negative");
                }

                break;
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        yield return new("key", Text(0, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="));
        yield return new("key-newline", Text(0, "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=\n"));
        yield return new("endpoint-v4", Text(1, "192.0.2.7:51820"));
        yield return new("endpoint-v6", Text(1, "[2001:db8::1%3]:51820"));
        yield return new("prefix-v4", Text(2, "10.0.0.1/24"));
        yield return new("prefix-v6", Text(2, "fd00::1/64"));
        yield return new("route-prefix", Text(3, "2001:db8::/32"));
        yield return new("duration", Text(4, "500ms"));
        yield return new("watchdog", Text(5, "30000000\n4242"));
        yield return new("watchdog-long", Text(5, "9007199254740993")); // 2^53 + 1 µs: more than a double holds exactly
    }

    private static byte[] Text(byte parser, string text) => [parser, .. System.Text.Encoding.UTF8.GetBytes(text)];
}
