--- compshare.transport.capture's internal location as docs/OPENRESTY.md declares it, over
-- plain http to `pass` (e.g. "http://compshare_api/"): the copy the capture e2e and
-- bench/nginx.lua serve (the TLS settings docs/OPENRESTY.md requires are added by the e2e).
return function(pass)
  return ([[
    location = /compshare_api {
      internal;
      set $compshare_header_content_type $compshare_header_content_type;
      set $compshare_header_user_agent $compshare_header_user_agent;
      set $compshare_header_u_timestamp_ms $compshare_header_u_timestamp_ms;
      proxy_pass_request_headers off;
      proxy_set_header Content-Type $compshare_header_content_type;
      proxy_set_header User-Agent $compshare_header_user_agent;
      proxy_set_header U-Timestamp-Ms $compshare_header_u_timestamp_ms;
      proxy_set_header Connection "";
      proxy_http_version 1.1;
      proxy_next_upstream off;
      proxy_pass %s;
    }
]]):format(pass)
end
