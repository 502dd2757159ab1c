// Registers GenSpectrum's custom elements (<gs-app>, <gs-prevalence-over-time>, …); the
// dashboard page points them at this server's own LAPIS routes.
import '@genspectrum/dashboard-components/components';
