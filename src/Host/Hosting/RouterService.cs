using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RouterHost.Configuration;
using RouterHost.Pipeline;
using RouterHost.Plugins;

namespace RouterHost.Hosting;

/// <summary>
/// The router as a hosted service: on start it assembles the router from configuration and plugins, starts a
/// worker per queue and tells systemd it is ready (and starts the <see cref="SystemdWatchdog"/> when systemd asks for
/// one); on stop (SIGTERM/SIGINT) it tells systemd it is stopping,
/// closes every queue, joins the workers and releases stages and devices in order.
/// </summary>
internal sealed partial class RouterService : IHostedService, IDisposable
{
    private readonly RouterOptions _options;
    private readonly IConfiguration _configuration;
    private readonly PluginCatalog _catalog;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly SystemdNotifier _notifier;
    private readonly RunOutcome _outcome;
    private readonly ILogger _logger;
    private Router? _router;
    private PipelineRunner? _runner;
    private ConfigurationReloader? _reloader;
    private ControlServer? _control;
    private PrometheusEndpoint? _metrics;
    private SystemdWatchdog? _watchdog;

    /// <summary>The DI key of the router's own configuration root (the one SIGHUP reloads).</summary>
    public const string ConfigurationKey = "routerhost";

    public RouterService(
        RouterOptions options,
        [Microsoft.Extensions.DependencyInjection.FromKeyedServices(ConfigurationKey)] IConfiguration configuration,
        PluginCatalog catalog,
        ILoggerFactory loggerFactory,
        IHostApplicationLifetime lifetime,
        SystemdNotifier notifier,
        RunOutcome outcome)
    {
        _options = options;
        _configuration = configuration;
        _catalog = catalog;
        _loggerFactory = loggerFactory;
        _lifetime = lifetime;
        _notifier = notifier;
        _outcome = outcome;
        _logger = loggerFactory.CreateLogger<RouterService>();
    }

    /// <summary>The running pipeline (tests read its counters).</summary>
    public PipelineRunner? Runner => _runner;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (PluginFolderError error in _catalog.FolderErrors)
        {
            if (!error.Refused)
            {
                // Refused folders were reported before validation (RunCommand), whatever came of it.
                Log.PluginFolderFailed(_logger, error.Folder, error.Message);
            }
        }

        foreach (PluginDescriptor plugin in _catalog.Plugins)
        {
            if (plugin.Error is not null)
            {
                Log.PluginUnusable(_logger, plugin.Name, plugin.Source, plugin.Error);
            }
        }

        if (_options.Prometheus is { } prometheus)
        {
            // Before the router: a taken port refuses the start before any device is made, and the exporter's
            // listener sees every meter the router creates.
            _metrics = PrometheusEndpoint.Start(prometheus);
            Log.MetricsServing(_logger, _metrics.Url);
            if (ConfigurationValidator.MetricsExposure(_options) is { } exposed)
            {
                Log.MetricsExposed(_logger, exposed.Path, exposed.Message);
            }
        }

        _router = Router.Build(_options, _configuration, _catalog, _loggerFactory);
        _runner = new PipelineRunner(_router, _loggerFactory.CreateLogger<PipelineRunner>());
        _runner.Start(OnFault);
        if (_configuration is IConfigurationRoot root)
        {
            _reloader = new ConfigurationReloader(root, _catalog, _router, _options, _loggerFactory.CreateLogger<ConfigurationReloader>(), _notifier);
            _reloader.Start();
        }

        if (_options.ControlSocket is { } socket)
        {
            _control = ControlServer.TryStart(socket, _router, _runner, _loggerFactory.CreateLogger<ControlServer>());
        }

        _watchdog = SystemdWatchdog.TryStart(_notifier, _runner, _loggerFactory.CreateLogger<SystemdWatchdog>());
        _router.ReturnStartGarbage();
        Notify("READY=1\nSTATUS=Routing");
        using (var self = System.Diagnostics.Process.GetCurrentProcess())
        {
            Log.Ready(_logger, _router.Interfaces.Count, _router.Stages.Count, (DateTime.Now - self.StartTime).TotalSeconds, Environment.CpuUsage.TotalTime.TotalSeconds);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Notify("STOPPING=1\nSTATUS=Stopping");
        Interlocked.Exchange(ref _watchdog, null)?.Dispose();
        Log.Stopping(_logger);
        if (_runner is not null)
        {
            _runner.Stop(_options.ShutdownTimeout);
            foreach (QueueStatistics q in _runner.Metrics.SnapshotQueues())
            {
                if (q.Interface.StartsWith("stage/", StringComparison.Ordinal))
                {
                    // A stage's source is read, never written: the stage sends on its own (its counters say how much).
                    Log.SourceTotals(_logger, q.Interface, q.Queue, q.ReceivedPackets, q.ReceivedBytes);
                }
                else
                {
                    Log.QueueTotals(_logger, q.Interface, q.Queue, q.ReceivedPackets, q.ReceivedBytes, q.SentPackets, q.SentBytes);
                }
            }
        }

        Dispose();
        Log.Stopped(_logger);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _watchdog, null)?.Dispose();
        Interlocked.Exchange(ref _control, null)?.Dispose();
        Interlocked.Exchange(ref _metrics, null)?.Dispose();
        Interlocked.Exchange(ref _reloader, null)?.Dispose();
        PipelineRunner? runner = Interlocked.Exchange(ref _runner, null);
        runner?.Dispose();
        Router? router = Interlocked.Exchange(ref _router, null);
        router?.Dispose();
    }

    private void OnFault(Exception ex)
    {
        _outcome.Fail(ex.Message);
        _lifetime.StopApplication();
    }

    private void Notify(string state)
    {
        if (_notifier.Notify(state) is { } error)
        {
            Log.NotifyFailed(_logger, error);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "RouterHost ready: {Interfaces} interface(s), {Stages} stage(s), {StartSeconds:0.00} s after the process started (CPU {StartCpuSeconds:0.00} s)")]
        public static partial void Ready(ILogger logger, int interfaces, int stages, double startSeconds, double startCpuSeconds);

        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Metrics: serving Prometheus at {Url}")]
        public static partial void MetricsServing(ILogger logger, string url);

        [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Stopping: closing queues")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Stopped: every queue closed, devices released")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "{Interface}/q{Queue}: received {RxPackets} packets ({RxBytes} bytes), sent {TxPackets} packets ({TxBytes} bytes)")]
        public static partial void QueueTotals(ILogger logger, string @interface, int queue, long rxPackets, long rxBytes, long txPackets, long txBytes);

        [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "{Interface}/q{Queue}: received {RxPackets} packets ({RxBytes} bytes); what the stage sent is in its own counters (routerhost show)")]
        public static partial void SourceTotals(ILogger logger, string @interface, int queue, long rxPackets, long rxBytes);

        [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Plugin folder {Folder} was not loaded: {Reason}")]
        public static partial void PluginFolderFailed(ILogger logger, string folder, string reason);

        [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Plugin '{Plugin}' from {Source} cannot be used: {Reason}")]
        public static partial void PluginUnusable(ILogger logger, string plugin, string source, string reason);

        [LoggerMessage(EventId = 18, Level = LogLevel.Warning, Message = "{Key}: {Problem}")]
        public static partial void MetricsExposed(ILogger logger, string key, string problem);

        [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "systemd notification failed: {Error}")]
        public static partial void NotifyFailed(ILogger logger, string error);
    }
}
