using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Collection.LocalHost.Http;

/// <summary>
/// The web console's built files (<c>web/dist</c>) at <c>/</c>, as a static web app serves them: a file when the
/// path names one, else <c>index.html</c> (the console routes in the browser), except under <c>/api</c>,
/// <c>/admin</c> and <c>/runtime</c>, which stay the functions' and the host's. <c>index.html</c> is never
/// cached (it names the current build's hashed assets); the hashed assets may be.
/// </summary>
internal static class ConsoleFiles
{
    private static readonly string[] BackendPrefixes = ["/api", "/admin", "/runtime"];

    public static void Use(WebApplication web, string root, int rpcPort)
    {
        var files = new PhysicalFileProvider(root);
        web.Use(async (http, next) =>
        {
            var request = http.Request;
            if (http.Connection.LocalPort != rpcPort && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
                && !BackendPrefixes.Any(prefix => request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                var path = request.Path.Value ?? "/";
                if (path == "/" || !files.GetFileInfo(path).Exists)
                {
                    request.Path = "/index.html";
                }

                if (request.Path == "/index.html")
                {
                    http.Response.OnStarting(() =>
                    {
                        http.Response.Headers[HeaderNames.CacheControl] = "no-cache";
                        return Task.CompletedTask;
                    });
                }
            }

            await next(http).ConfigureAwait(false);
        });
        web.UseStaticFiles(new StaticFileOptions { FileProvider = files, ServeUnknownFileTypes = false });
    }
}
