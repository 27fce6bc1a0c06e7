import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import { GeistSans } from "geist/font/sans";
import { GeistMono } from "geist/font/mono";
import { Toaster } from "@/components/ui/sonner";
import { TimeZoneProvider } from "@/components/app/time-zone";
import { clinicTimeZone } from "@/core/config/time-zone";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Carebase", template: "%s · Carebase" },
  description: "Secure medical records for small clinics",
  robots: { index: false, follow: false },
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

/**
 * Every page renders per request: src/proxy.ts sets a fresh CSP nonce on each one, and
 * Next stamps that nonce on its scripts only when it renders the page for the request
 * (a prerendered page would carry scripts the CSP blocks, and never hydrate).
 */
export default async function RootLayout({ children }: { children: React.ReactNode }) {
  await headers();
  return (
    <html lang="en" className={`${GeistSans.variable} ${GeistMono.variable}`}>
      <body className="bg-background text-foreground min-h-dvh font-sans antialiased">
        {/* The clinic's zone, for server and browser alike: every time renders the same on both. */}
        <TimeZoneProvider timeZone={clinicTimeZone()}>{children}</TimeZoneProvider>
        <Toaster position="top-right" />
      </body>
    </html>
  );
}
