-- "Signed-in users" means users, not wearables.
--
-- A device runs as `authenticated` too (withDevice, 0401), with claims that carry no user
-- id. The two read policies that said `using (true)` for `authenticated` therefore let a
-- device token read the clinic settings (and who last changed them) and the bucket names,
-- contrary to "a device reads nothing" (found by the access matrix). They now require a
-- user: auth.uid() is set for every user session and never for a device.

alter policy "Signed-in users read the clinic settings" on public.clinic_settings
  using ((select auth.uid()) is not null);

alter policy "Signed-in users see bucket names" on storage.buckets
  using ((select auth.uid()) is not null);
