using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Configuration;
using RouterHost.Pipeline;
using RouterHost.Plugins;

namespace RouterHost.Tests.Support;

/// <summary>A router assembled in process from JSON configuration and the real test plugins, running its threads.</summary>
internal sealed class TestRouter : IDisposable
{
    private static readonly Lazy<PluginCatalog> s_catalog = new(() => PluginCatalog.Discover(RepositoryPaths.TestPlugins, PluginDiscovery.BuiltInFactories));

    private TestRouter(Router router, PipelineRunner runner, MemoryExchange exchange)
    {
        Router = router;
        Runner = runner;
        Exchange = exchange;
    }

    public static PluginCatalog Catalog => s_catalog.Value;

    public Router Router { get; }

    public PipelineRunner Runner { get; }

    public MemoryExchange Exchange { get; }

    public Exception? Fault { get; private set; }

    /// <summary>Loads configuration from JSON in which "$EXCHANGE" stands for a fresh exchange id.</summary>
    public static IConfigurationRoot Configure(string json, MemoryExchange exchange)
    {
        string text = json.Replace("$EXCHANGE", exchange.Id, StringComparison.Ordinal);
        return new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text))).Build();
    }

    public static TestRouter Start(string json, ILoggerFactory? loggerFactory = null)
    {
        var exchange = MemoryExchange.New();
        IConfigurationRoot configuration = Configure(json, exchange);
        var problems = ConfigurationValidator.Validate(configuration, Catalog, out RouterOptions options);
        Assert.Empty(problems);
        loggerFactory ??= NullLoggerFactory.Instance;
        Router router = Router.Build(options, configuration, Catalog, loggerFactory);
        var runner = new PipelineRunner(router, loggerFactory.CreateLogger<PipelineRunner>());
        var test = new TestRouter(router, runner, exchange);
        runner.Start(ex => test.Fault = ex);
        return test;
    }

    public void Dispose()
    {
        Runner.Stop(TimeSpan.FromSeconds(5));
        Runner.Dispose();
        Router.Dispose();
    }
}
