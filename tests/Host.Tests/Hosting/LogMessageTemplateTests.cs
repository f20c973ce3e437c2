using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace RouterHost.Tests.Hosting;

/// <summary>
/// Every <c>[LoggerMessage]</c> method of the host, its libraries and the built-in plugins, called for real: each
/// placeholder of its template must be a property of what it logs, spelled as in the template. Serilog fills a
/// placeholder from the property of that exact name and otherwise prints <c>{Placeholder}</c> as it stands, which is
/// what a verbatim parameter (<c>@interface</c>) caused in methods of more than six placeholders.
/// </summary>
public sealed partial class LogMessageTemplateTests
{
    [Fact]
    public void Every_placeholder_of_every_logger_message_is_a_property_of_that_name()
    {
        var problems = new List<string>();
        int checkedMethods = 0;
        foreach (Assembly assembly in Assemblies())
        {
            foreach (MethodInfo method in LoggerMessageMethods(assembly))
            {
                var logger = new CapturingLogger();
                object?[] args = method.GetParameters().Select(p => Argument(p.ParameterType, logger)).ToArray();
                method.Invoke(null, args);
                checkedMethods++;
                if (logger.State is null)
                {
                    problems.Add($"{Describe(method)}: logged nothing");
                    continue;
                }

                string template = (string)logger.State.Single(kv => kv.Key == "{OriginalFormat}").Value!;
                var keys = logger.State.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
                foreach (Match hole in Placeholder().Matches(template))
                {
                    if (!keys.Contains(hole.Groups[1].Value))
                    {
                        problems.Add($"{Describe(method)}: placeholder {{{hole.Groups[1].Value}}} has no property of that name (properties: {string.Join(", ", keys)})");
                    }
                }
            }
        }

        Assert.True(checkedMethods > 100, $"only {checkedMethods} [LoggerMessage] methods found; are the plugins built?");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static IEnumerable<Assembly> Assemblies()
    {
        foreach (string file in Directory.GetFiles(RepositoryPaths.HostDirectory, "*.dll"))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (name.StartsWith("RouterHost.", StringComparison.Ordinal) || name == "routerhost")
            {
                yield return Assembly.Load(new AssemblyName(name));
            }
        }

        foreach (string folder in Directory.GetDirectories(RepositoryPaths.HostPlugins))
        {
            foreach (string file in Directory.GetFiles(folder, "RouterHost.Plugins.*.dll"))
            {
                yield return new PluginContext(file).LoadFromAssemblyPath(file);
            }
        }
    }

    private static IEnumerable<MethodInfo> LoggerMessageMethods(Assembly assembly)
    {
        Type?[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            types = ex.Types;
        }

        foreach (Type? type in types)
        {
            if (type is null)
            {
                continue;
            }

            foreach (MethodInfo method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<LoggerMessageAttribute>() is not null)
                {
                    yield return method;
                }
            }
        }
    }

    private static object? Argument(Type type, ILogger logger) =>
        type == typeof(ILogger) ? logger
        : type == typeof(LogLevel) ? LogLevel.Critical
        : type == typeof(string) ? "x"
        : type.IsValueType ? Activator.CreateInstance(type)
        : null;

    private static string Describe(MethodInfo method) => $"{method.DeclaringType?.FullName}.{method.Name} ({method.DeclaringType?.Assembly.GetName().Name})";

    [GeneratedRegex(@"(?<!\{)\{([^{}:,]+)(?:[:,][^{}]*)?\}")]
    private static partial Regex Placeholder();

    /// <summary>A plugin's own assemblies from its folder; the contract and logging assemblies shared with the host, as the host loads plugins.</summary>
    private sealed class PluginContext(string mainAssembly) : AssemblyLoadContext(isCollectible: false)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (Default.Assemblies.Any(a => a.GetName().Name == assemblyName.Name))
            {
                return null;
            }

            string? path = _resolver.ResolveAssemblyToPath(assemblyName);
            return path is null ? null : LoadFromAssemblyPath(path);
        }
    }

    private sealed class CapturingLogger : ILogger
    {
        public IReadOnlyList<KeyValuePair<string, object?>>? State { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            State = state as IReadOnlyList<KeyValuePair<string, object?>>;
    }
}
