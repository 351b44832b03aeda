# Build a static binary, then run it as a non-root user with the data in a
# volume. The binary carries its own time-zone data and locale files.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/tongxin ./cmd/tongxin

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tongxin /usr/local/bin/tongxin
ENV TONGXIN_ADDR=:8080 \
    TONGXIN_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/tongxin"]
CMD ["serve"]
