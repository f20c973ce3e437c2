using System.Net;
using System.Net.Sockets;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using RouterHost.Configuration;
using RouterHost.Pipeline;

namespace RouterHost.Hosting;

/// <summary>
/// The optional Prometheus endpoint (<c>Metrics:Prometheus</c>): <c>GET /metrics</c> over HTTP, in the Prometheus text
/// format, of every <see cref="System.Diagnostics.Metrics"/> meter whose name starts with <c>RouterHost</c> (the pipeline's
/// interfaces, queues and stages; each stage's and backend's own meters). Built on OpenTelemetry's SDK and its
/// HttpListener Prometheus exporter (see docs/metrics.md for why): a scrape runs the meters' observable callbacks on the
/// exporter's own thread, which sum the data path's per-thread counters; nothing runs on, waits for or allocates on the
/// data path. Scrapes are not cached (each one reads the counters then), so a scrape agrees with <c>routerhost show</c>
/// taken at the same moment.
/// </summary>
internal sealed class PrometheusEndpoint : IDisposable
{
    /// <summary>Meters exported: the host's (<c>RouterHost</c>) and every <c>RouterHost.*</c> one.</summary>
    public static readonly string[] MeterNames = [PipelineMetrics.MeterName, PipelineMetrics.MeterName + ".*"];

    private readonly MeterProvider _provider;

    private PrometheusEndpoint(MeterProvider provider, IPEndPoint address)
    {
        _provider = provider;
        Address = address;
    }

    /// <summary>Where it listens.</summary>
    public IPEndPoint Address { get; }

    /// <summary>The URL a scraper reads.</summary>
    public string Url => $"http://{HostText(Address)}:{Address.Port}/metrics";

    /// <summary>
    /// Listens on <paramref name="address"/>. A port another process holds (or any other bind failure) is a
    /// <see cref="RouterStartupException"/> naming the key path and the address.
    /// </summary>
    public static PrometheusEndpoint Start(IPEndPoint address)
    {
        ArgumentNullException.ThrowIfNull(address);

        // HttpListener reports a port in use only as "conflicts with an existing registration"; bind once ourselves
        // first for the real errno (and its text) in the message.
        string? bindError = ProbeBind(address);
        if (bindError is not null)
        {
            throw Failure(address, bindError, null);
        }

        try
        {
            MeterProvider provider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(MeterNames)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = HostText(address);
                    o.Port = address.Port;
                    o.ScrapeEndpointPath = "/metrics";
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                    o.ScopeInfoEnabled = false;
                    o.TargetInfoEnabled = false;
                })
                .Build();
            return new PrometheusEndpoint(provider, address);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpListenerException or SocketException)
        {
            throw Failure(address, ex.InnerException?.Message ?? ex.Message, ex);
        }
    }

    public void Dispose() => _provider.Dispose();

    private static string HostText(IPEndPoint address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address.Address}]" : address.Address.ToString();

    private static RouterStartupException Failure(IPEndPoint address, string reason, Exception? inner)
    {
        string message = $"{ConfigurationKeys.MetricsPrometheus}: cannot serve metrics on {address}: {reason}. Choose a free address and port (`ss -tlpn 'sport = :{address.Port}'` shows who holds it), or set {ConfigurationKeys.MetricsPrometheus} to \"off\"";
        return inner is null ? new RouterStartupException(message) : new RouterStartupException(message, inner);
    }

    private static string? ProbeBind(IPEndPoint address)
    {
        try
        {
            // SO_REUSEADDR as a listener sets it: a restart is not refused for the last run's TIME_WAIT connections,
            // while a socket listening on the port still is.
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            probe.Bind(address);
            return null;
        }
        catch (SocketException ex)
        {
            return $"{ex.Message} ({ex.SocketErrorCode})";
        }
    }
}
